import { SocketChannel } from '../../src/events/socket/socket.channel.js';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'socket.io';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

export interface SocketEvent {
  type: string;
  /** The event id; absent on `lagged` and `resync`. */
  id: number | undefined;
  data: unknown;
}

export type SocketClientOptions = Partial<ManagerOptions & SocketOptions>;

/**
 * A connect_error as socket.io-client reports it: socket.io's refusal to join the namespace
 * (`data`), or a transport's error when the engine.io handshake is refused (`description`: the
 * HTTP status over polling, the `ws` error event over websocket).
 */
export type ConnectError = Error & {
  data?: unknown;
  description?: unknown;
  /**
   * The body of a refused polling request, read as the error is reported: engine.io-client
   * aborts the request (its `context`), which empties it, right after.
   */
  responseText?: string;
};

/** The `ws` WebSocket under socket.io-client's websocket transport, in Node. */
interface NodeWebSocket {
  pause(): void;
  resume(): void;
}

/**
 * A real socket.io-client socket that records every event it receives (any name), with helpers
 * to wait for them. It does not reconnect on its own.
 */
export class RecordingSocket {
  readonly socket: Socket;
  readonly events: SocketEvent[] = [];
  /** Why the socket was disconnected, once it was. */
  disconnectReason?: string;
  private readonly checks = new Set<() => void>();

  constructor(baseUrl: string, options: SocketClientOptions = {}) {
    this.socket = io(baseUrl, {
      path: '/socket.io',
      forceNew: true,
      reconnection: false,
      transports: ['websocket'],
      ...options,
    });
    this.socket.onAny((type: string, data: unknown, id?: unknown) => {
      this.events.push({ type, id: typeof id === 'number' ? id : undefined, data });
      this.recheck();
    });
    this.socket.on('disconnect', (reason) => {
      this.disconnectReason = reason;
      this.recheck();
    });
  }

  /** Connects and resolves once the server accepted the handshake. */
  static async open(baseUrl: string, options: SocketClientOptions = {}): Promise<RecordingSocket> {
    const client = new RecordingSocket(baseUrl, options);
    await client.connected();
    return client;
  }

  /**
   * Connects over polling to a server that must refuse the engine.io handshake, and resolves with
   * what socket.io-client then learns: its transport error, the HTTP status and the JSON body.
   */
  static async refusedHandshake(
    baseUrl: string,
    options: SocketClientOptions = {},
  ): Promise<{ message: string; status: unknown; body: unknown }> {
    const client = new RecordingSocket(baseUrl, { ...options, transports: ['polling'] });
    try {
      const { message, description, responseText } = await client.refused();
      return { message, status: description, body: JSON.parse(responseText ?? 'null') };
    } finally {
      await client.close();
    }
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', (error: ConnectError) =>
        reject(new Error(`connect_error: ${error.message}`)),
      );
    });
  }

  /** Resolves with the connect_error the server answered with; rejects if it connected. */
  refused(): Promise<ConnectError> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect_error', (error: ConnectError & { context?: unknown }) => {
        const { responseText } = (error.context ?? {}) as { responseText?: unknown };
        if (typeof responseText === 'string') error.responseText = responseText;
        resolve(error);
      });
      this.socket.once('connect', () => reject(new Error('the server accepted the connection')));
    });
  }

  /** Resolves with the reason once the socket is disconnected. */
  async disconnected(timeoutMs = 5000): Promise<string> {
    await this.until(() => this.disconnectReason !== undefined, timeoutMs, 'still connected');
    return this.disconnectReason as string;
  }

  /** Resolves once `count` events have arrived. */
  waitFor(count: number, timeoutMs = 5000): Promise<SocketEvent[]> {
    return this.waitUntil((events) => events.length >= count, timeoutMs);
  }

  /** Resolves once `done` holds for the events received so far. */
  async waitUntil(
    done: (events: SocketEvent[]) => boolean,
    timeoutMs = 5000,
  ): Promise<SocketEvent[]> {
    await this.until(() => done(this.events), timeoutMs, 'condition not met');
    return this.events;
  }

  /** Stops reading from the server (the TCP socket under the websocket), or starts again. */
  setReading(reading: boolean): void {
    const { ws } = this.socket.io.engine.transport as unknown as { ws: NodeWebSocket };
    if (reading) ws.resume();
    else ws.pause();
  }

  /** Disconnects and resolves once the connection is closed (polling posts a last request). */
  async close(): Promise<void> {
    const engine = this.socket.io.engine;
    const closed =
      engine === undefined || engine.readyState === 'closed'
        ? Promise.resolve()
        : new Promise<void>((resolve) => engine.once('close', () => resolve()));
    this.socket.disconnect();
    await closed;
  }

  private until(holds: () => boolean, timeoutMs: number, failure: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!holds()) return;
        clearTimeout(timer);
        this.checks.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(`${failure}; received ${JSON.stringify(this.events).slice(0, 2000)}`));
      }, timeoutMs);
      this.checks.add(check);
      check();
    });
  }

  private recheck(): void {
    for (const check of this.checks) check();
  }
}

/** The app's Socket.IO server, to count its engine.io sessions (`engine.clientsCount`). */
export function socketIoServer(app: INestApplication): Server {
  const { server } = app.get(SocketChannel);
  if (server === undefined) throw new Error('the Socket.IO channel is not attached');
  return server;
}
