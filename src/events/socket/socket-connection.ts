import type { Socket } from 'socket.io';
import type { StreamPrincipal } from '../events.ports.js';
import type { LibraryFilter } from '../audience.js';
import type { QueueLimits } from '../sse/sse-connection.js';
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
  private queue: SocketPacket[] = [];
  private queueStart = 0;
  private queuedBytes = 0;
  private skipped = 0;
  /** engine.io holds packets written here that its transport has not taken yet. */
  private engineHolding = false;

  constructor(
    readonly socket: Socket,
    readonly principal: StreamPrincipal,
    readonly filter: LibraryFilter,
    readonly expiresAt: number,
    private readonly limits: QueueLimits,
  ) {}

  get engine(): EngineConnection {
    return this.socket.conn;
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  get pendingEvents(): number {
    return this.queue.length - this.queueStart;
  }

  deliver(packet: SocketPacket): void {
    if (this.engineHolding || this.pendingEvents > 0) this.enqueue(packet);
    else this.write(packet);
  }

  /** engine.io's `drain`: its transport took what it held, so what waits here can follow. */
  readonly onEngineDrain = (): void => {
    this.engineHolding = false;
    if (this.pendingEvents > 0) this.flush();
  };

  private enqueue(packet: SocketPacket): void {
    this.queue.push(packet);
    this.queuedBytes += packet.size;
    const { maxEvents, maxBytes } = this.limits;
    while (
      this.pendingEvents > 1 &&
      (this.pendingEvents > maxEvents || this.queuedBytes > maxBytes)
    ) {
      this.queuedBytes -= this.queue[this.queueStart].size;
      this.queueStart++;
      this.skipped++;
    }
    if (this.queueStart > maxEvents) {
      this.queue = this.queue.slice(this.queueStart);
      this.queueStart = 0;
    }
  }

  /** Hands engine.io everything waiting; it sends the first now and buffers the rest as one batch. */
  private flush(): void {
    const packets = this.queueStart === 0 ? this.queue : this.queue.slice(this.queueStart);
    const skipped = this.skipped;
    this.queue = [];
    this.queueStart = 0;
    this.queuedBytes = 0;
    this.skipped = 0;
    if (skipped > 0) this.write(laggedPacket(skipped));
    for (const packet of packets) this.write(packet);
  }

  private write(packet: SocketPacket): void {
    this.engineHolding = true;
    // When the transport is free engine.io sends at once and emits `drain` before returning.
    this.engine.write(packet.text, packet.options);
  }
}
