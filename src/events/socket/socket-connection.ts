import type { Socket } from 'socket.io';
import type { StreamPrincipal } from '../events.ports.js';
import type { LibraryFilter } from '../audience.js';
import { BoundedQueue, type QueueLimits } from '../bounded-queue.js';
import { laggedPacket, type SocketPacket } from './socket-packets.js';

/** engine.io's connection under a Socket.IO socket: it takes packets and says when it drained. */
type EngineConnection = Socket['conn'];

/**
 * One connected Socket.IO client. Packets go straight to engine.io while it keeps up; once
 * engine.io holds packets its transport has not taken (a websocket whose last send has not
 * completed, a polling client that has not asked again), new ones wait here, in a queue bounded
 * in events and bytes that drops its oldest packets and announces them with `lagged`. So a
 * client that stops reading costs at most this bound, one batch waiting in engine.io and one in
 * the socket, never more.
 */
export class SocketConnection {
  private readonly queue: BoundedQueue<SocketPacket>;
  /** engine.io holds packets written here that its transport has not taken yet. */
  private engineHolding = false;

  constructor(
    readonly socket: Socket,
    readonly principal: StreamPrincipal,
    readonly filter: LibraryFilter,
    readonly expiresAt: number,
    limits: QueueLimits,
  ) {
    this.queue = new BoundedQueue(limits, (packet) => packet.size);
  }

  get engine(): EngineConnection {
    return this.socket.conn;
  }

  get pendingBytes(): number {
    return this.queue.bytes;
  }

  get pendingEvents(): number {
    return this.queue.length;
  }

  deliver(packet: SocketPacket): void {
    if (this.engineHolding || this.pendingEvents > 0) this.queue.push(packet);
    else this.write(packet);
  }

  /** engine.io's `drain`: its transport took what it held, so what waits here can follow. */
  readonly onEngineDrain = (): void => {
    this.engineHolding = false;
    if (this.pendingEvents > 0) this.flush();
  };

  /** Hands engine.io everything waiting; it sends the first now and buffers the rest as one batch. */
  private flush(): void {
    const { items: packets, skipped } = this.queue.take();
    if (skipped > 0) this.write(laggedPacket(skipped));
    for (const packet of packets) this.write(packet);
  }

  private write(packet: SocketPacket): void {
    this.engineHolding = true;
    // When the transport is free engine.io sends at once and emits `drain` before returning.
    this.engine.write(packet.text, packet.options);
  }
}
