import type { Socket as NetSocket } from 'node:net';
import type { Socket } from 'socket.io';
import type { StreamPrincipal } from '../events.ports.js';
import type { LibraryFilter } from '../audience.js';
import type { QueueLimits } from '../bounded-queue.js';
import { type FrameEncoder, StreamConnection } from '../stream-connection.js';
import type { SocketPacket } from './socket-packets.js';
import type { EngineConnection } from './websocket-wire.js';

/** Where a connection finds the websocket it may write to directly (websocket-wire.ts), if any. */
export type WireFinder = (engine: EngineConnection) => NetSocket | undefined;

/**
 * One connected Socket.IO client. A batch goes straight to the TCP socket of a websocket session
 * that engine.io has nothing waiting on (see websocket-wire.ts), else through engine.io, which
 * sends it at once when its transport is free and otherwise holds it (a websocket whose last send
 * has not completed, a polling client that has not asked again). While either holds what came
 * before, new packets wait in the connection's bounded queue.
 */
export class SocketConnection extends StreamConnection<SocketPacket> {
  /** engine.io holds packets written to it that its transport has not taken yet. */
  private engineHolding = false;
  /**
   * Listens for engine.io's and the websocket's `drain`: what waits here may follow. Made, and
   * given to each, on the first write there: an idle connection holds no listener.
   */
  private drainListener?: () => void;
  private engineListened = false;
  /** The TCP socket whose `drain` is listened to. */
  private wireListened?: NetSocket;

  constructor(
    readonly socket: Socket,
    encoder: FrameEncoder<SocketPacket>,
    principal: StreamPrincipal,
    filter: LibraryFilter,
    expiresAt: number,
    sessionId: string | undefined,
    limits: QueueLimits,
    now: number,
    private readonly wireOf: WireFinder,
    private readonly drainedCallback: (connection: SocketConnection) => void,
  ) {
    super(encoder, principal, filter, expiresAt, sessionId, limits, now);
  }

  get engine(): EngineConnection {
    return this.socket.conn;
  }

  protected write(packets: readonly SocketPacket[]): boolean {
    const wire = this.wireOf(this.engine);
    return wire === undefined ? this.writeToEngine(packets) : this.writeToWire(wire, packets);
  }

  private writeToWire(wire: NetSocket, packets: readonly SocketPacket[]): boolean {
    if (this.wireListened !== wire) {
      this.wireListened = wire;
      wire.on('drain', this.onDrain());
    }
    if (packets.length === 1) return wire.write(packets[0].frame);
    wire.cork();
    for (const packet of packets) wire.write(packet.frame);
    wire.uncork();
    return !wire.writableNeedDrain;
  }

  private writeToEngine(packets: readonly SocketPacket[]): boolean {
    if (!this.engineListened) {
      this.engineListened = true;
      this.engine.on('drain', this.onDrain());
    }
    // When the transport is free engine.io sends at once and emits `drain` before returning;
    // the packets after the first wait in engine.io and leave together once it drains.
    for (const packet of packets) {
      this.engineHolding = true;
      this.engine.write(packet.text, packet.options);
    }
    return !this.engineHolding;
  }

  private onDrain(): () => void {
    return (this.drainListener ??= () => {
      this.engineHolding = false;
      this.drainedCallback(this);
    });
  }

  protected get writable(): boolean {
    const wire = this.wireOf(this.engine);
    return wire === undefined ? !this.engineHolding : !wire.writableNeedDrain;
  }

  /** Socket.IO's disconnect, which tells socket.io-client not to reconnect by itself. */
  protected end(): void {
    this.socket.disconnect(true);
  }

  /**
   * Closes engine.io's connection without Socket.IO's disconnect: the client sees its transport
   * close ("transport close") and reconnects by itself. engine.io sends what it holds first (a
   * polling client's packets wait for its next request: held is no sign of a stalled one), and
   * closes by itself a transport that does not take it.
   */
  protected endToReconnect(): void {
    this.engine.close();
  }

  protected destroy(): void {
    this.socket.disconnect(true);
  }

  /** A connection whose transport is closing takes nothing more, though still connected. */
  get ended(): boolean {
    return this.socket.disconnected || this.engine.readyState !== 'open';
  }

  /** engine.io finishes a closing session's transport by itself. */
  get flushed(): boolean {
    return true;
  }
}
