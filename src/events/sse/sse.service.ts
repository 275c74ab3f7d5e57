import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Subscription } from 'rxjs';
import { StreamAccess } from '../events.ports.js';
import type { StreamPrincipal } from '../events.ports.js';
import {
  EVENTS_OPTIONS,
  type EventsModuleOptions,
  type StreamSettings,
} from '../events.options.js';
import { type LibraryFilter, missedEvents } from '../audience.js';
import { type ConnectionStats, ConnectionRegistry } from '../connection-registry.js';
import { EventHub } from '../event-hub.js';
import type { WireForms } from '../http-chunk.js';
import type { PublishedEvent } from '../published-event.js';
import { canHandOver, handOver, handoverHolds } from './response-handover.js';
import { StreamQuota } from '../stream-quota.js';
import { RetryLaterException } from '../../common/retry-later.exception.js';
import type { QueueLimits } from '../bounded-queue.js';
import { SseConnection } from './sse-connection.js';
import { resyncNotice, retryFrame, SSE_HEADERS } from './sse-frames.js';
import { StreamSink } from './stream-sink.js';

export interface SseStreamOptions {
  filter: LibraryFilter;
  /** The resume point: the id of the last event the client saw. */
  lastEventId?: number;
  /** When the token expires: the stream ends then, and the client must log in again. */
  expiresAt: number;
}

/**
 * Delivers the hub's events to every open `GET /sse` stream. It subscribes to the hub once,
 * decides each event's audience once (from the live grants, by user), and hands the prebuilt
 * frame to the connections of those users whose library filter lets it through. Frames that
 * reach a connection in one event-loop turn leave in one write.
 */
@Injectable()
export class SseService
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly config: StreamSettings;
  private readonly connections = new ConnectionRegistry<SseConnection>();
  private readonly streamSockets = new WeakSet<Socket>();
  /** How many requests each connection has carried, and which of them each request was. */
  private readonly requestsOn = new WeakMap<Socket, number>();
  private readonly ordinals = new WeakMap<IncomingMessage, number>();
  private readonly retry: WireForms;
  private readonly limits: QueueLimits;
  private toFlush: SseConnection[] = [];
  /** The other list, swapped with toFlush at each flush so that no turn allocates one. */
  private flushing: SseConnection[] = [];
  private flushScheduled = false;
  private subscriptions: Subscription[] = [];
  private keepaliveTimer?: NodeJS.Timeout;
  private shuttingDown = false;
  /** Whether streams let go of Node's response (response-handover.ts); decided at start. */
  private handsOver = false;
  private readonly logger = new Logger(SseService.name);

  constructor(
    @Inject(EVENTS_OPTIONS) config: EventsModuleOptions,
    private readonly hub: EventHub,
    private readonly access: StreamAccess,
    private readonly adapterHost: HttpAdapterHost,
    private readonly quota: StreamQuota,
  ) {
    this.config = config.sse;
    this.retry = retryFrame(config.sse.retryMs);
    this.limits = { maxEvents: config.sse.maxQueueEvents, maxBytes: config.sse.maxQueueBytes };
  }

  async onModuleInit(): Promise<void> {
    if (this.config.handover === 'auto') {
      this.handsOver = await handoverHolds();
      if (!this.handsOver) {
        this.logger.warn(
          `Node ${process.version} does not let a stream take over its connection: streams keep their response (more memory per connection)`,
        );
      }
    }
    this.subscriptions = [
      this.hub.events$.subscribe((event) => this.dispatch(event)),
      this.access.userRemoved$.subscribe((userId) => this.closeUser(userId)),
      this.hub.gaps$.subscribe((reason) => this.resyncAll(reason)),
    ];
    const sweepMs = Math.max(
      10,
      Math.min(EXPIRY_SWEEP_MS, Math.floor(this.config.keepaliveMs / 10)),
    );
    this.keepaliveTimer = setInterval(() => this.sweep(), sweepMs).unref();
  }

  onApplicationBootstrap(): void {
    // An application context without HTTP (the cluster primary's one-time set-up) has none.
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    // Node emits 'request' as it parses each request, so pipelined ones count before any handler runs.
    server.prependListener('request', (request: IncomingMessage) => {
      const ordinal = (this.requestsOn.get(request.socket) ?? 0) + 1;
      this.requestsOn.set(request.socket, ordinal);
      this.ordinals.set(request, ordinal);
    });
    this.endStreamsWhenServerCloses(server);
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    clearInterval(this.keepaliveTimer);
  }

  /**
   * Open streams would keep the HTTP server from closing. Each ends with its last chunk, and the
   * shutdown waits (a moment at most) until the system has taken it: the server's close then
   * destroys the connections it sees as idle, and a destroyed socket drops what it still held.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.endAll();
    const deadline = Date.now() + FLUSH_ON_SHUTDOWN_MS;
    while (Date.now() < deadline && !this.allFlushed()) {
      // oxlint-disable-next-line no-await-in-loop -- polls until flushed, briefly
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private allFlushed(): boolean {
    for (const connection of this.connections) if (!connection.flushed) return false;
    return true;
  }

  private endAll(): void {
    this.shuttingDown = true;
    for (const connection of this.connections) connection.close();
  }

  /**
   * Since Node 19 `server.close()` destroys the connections it sees as idle, which a
   * handed-over stream is; a stream that keeps its response would keep the server open. A host
   * that closes the server without Nest's shutdown gets every stream ended with its last chunk
   * first, never cut in the middle of a frame.
   */
  private endStreamsWhenServerCloses(server: Server): void {
    const close = server.close.bind(server);
    server.close = (callback?: (error?: Error) => void) => {
      this.endAll();
      return close(callback);
    };
  }

  get stats(): ConnectionStats {
    return this.connections.stats;
  }

  /**
   * Opens a stream, or refuses it with 429 (before any byte of it) when the user already holds
   * all the streams they may.
   */
  open(
    principal: StreamPrincipal,
    request: IncomingMessage,
    response: ServerResponse,
    options: SseStreamOptions,
  ): void {
    if (!this.quota.tryAcquire(principal.userId)) {
      throw new RetryLaterException(
        this.quota.refusal,
        Math.max(1, Math.ceil(this.config.retryMs / 1000)),
      );
    }
    this.beginOrRelease(principal, request, response, options);
  }

  private beginOrRelease(
    principal: StreamPrincipal,
    request: IncomingMessage,
    response: ServerResponse,
    options: SseStreamOptions,
  ): void {
    if (!this.begin(principal, request, response, options)) this.quota.release(principal.userId);
  }

  /** Starts the stream; false when none started, so its place in the quota is given back. */
  private begin(
    principal: StreamPrincipal,
    request: IncomingMessage,
    response: ServerResponse,
    options: SseStreamOptions,
  ): boolean {
    const socket = request.socket;
    // The client may have gone while the request was authenticated: 'close' would never come.
    if (socket.destroyed) return false;
    if (this.shuttingDown) {
      socket.destroy();
      return false;
    }
    // A pipelined request waits for the responses before it; so does its stream.
    if (response.socket === null) {
      let settled = false;
      response.once('socket', () => {
        settled = true;
        this.beginOrRelease(principal, request, response, options);
      });
      // Gone before its turn came: Node never hands the response a socket.
      socket.once('close', () => {
        if (settled) return;
        settled = true;
        this.quota.release(principal.userId);
      });
      return true;
    }
    // A HEAD response has no body, and frames written to the socket would break the protocol.
    if (request.method === 'HEAD') {
      response.writeHead(200, SSE_HEADERS).end();
      return false;
    }
    socket.setTimeout(0);
    socket.setNoDelay(true);
    // Node sends the headers and decides the framing of what follows.
    response.writeHead(200, SSE_HEADERS);
    response.flushHeaders();
    const sink = this.sinkFor(request, response, socket);

    const now = Date.now();
    const connection = new SseConnection(
      sink,
      principal,
      options.filter,
      options.expiresAt,
      this.limits,
      now,
    );
    this.start(connection, sink, options.lastEventId, now);
    return true;
  }

  /**
   * Whether an event stream owns this connection's bytes: a request that arrives on it cannot
   * be answered, as its response would land inside the stream.
   */
  carriesStream(socket: Socket): boolean {
    return this.streamSockets.has(socket);
  }

  /** Requests sent behind this one wait for its response, which must stay Node's to keep them queued. */
  private pipelinedBehind(request: IncomingMessage): boolean {
    return (this.requestsOn.get(request.socket) ?? 0) > (this.ordinals.get(request) ?? 0);
  }

  /**
   * Hands the connection over from Node's HTTP server to the stream where it can. An unfinished
   * response would keep the request, the response and all that Express and Nest hung on them
   * for as long as the stream lives: 6.6 of the 10.3 KB of heap an idle stream kept (measured
   * with the benchmark). Finished without its last chunk, the response is forgotten by Node,
   * while the socket stays open and the frames carry on its chunked body; the stream writes
   * the last chunk itself.
   */
  private sinkFor(request: IncomingMessage, response: ServerResponse, socket: Socket): StreamSink {
    if (this.handsOver && canHandOver(response) && !this.pipelinedBehind(request)) {
      handOver(response);
      this.streamSockets.add(socket);
      return StreamSink.ofSocket(socket);
    }
    return StreamSink.ofResponse(response);
  }

  /** Kept apart from open(): the listeners' closures must not hold the request and response. */
  private start(
    connection: SseConnection,
    sink: StreamSink,
    lastEventId: number | undefined,
    now: number,
  ): void {
    const first = lastEventId === undefined ? [] : this.missed(connection, lastEventId);
    connection.writeAll([this.retry, ...first], now);
    this.connections.add(connection);
    sink.listen(
      () => {
        if (connection.drained()) this.schedule(connection);
      },
      () => {
        this.connections.delete(connection);
        this.quota.release(connection.principal.userId);
      },
    );
  }

  /**
   * What the client missed, as far as the history holds it, to be sent before any live event. It
   * bypasses the live queue: the history is the bound here, and a replay cut to the queue's
   * size would report a lag the client never had.
   */
  private missed(connection: SseConnection, lastEventId: number): WireForms[] {
    const { principal, filter } = connection;
    const missed = missedEvents(this.hub.replayAfter(lastEventId), lastEventId, principal, filter);
    const frames: WireForms[] = missed.events.map(({ variant }) => variant);
    if (missed.resyncReason !== undefined) frames.unshift(resyncNotice(missed.resyncReason));
    return frames;
  }

  private dispatch(event: PublishedEvent): void {
    this.connections.forEachReceiver(event, this.access, (connection, variant) => {
      if (connection.enqueue(variant)) this.schedule(connection);
    });
  }

  private schedule(connection: SseConnection): void {
    if (connection.scheduled) return;
    connection.scheduled = true;
    this.toFlush.push(connection);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
  }

  private readonly flushAll = (): void => {
    const connections = this.toFlush;
    this.toFlush = this.flushing;
    this.flushing = connections;
    this.flushScheduled = false;
    const now = Date.now();
    for (const connection of connections) connection.flush(now);
    connections.length = 0;
  };

  /** One timer for all connections: pings the silent ones and ends those whose token expired. */
  private sweep(): void {
    const now = Date.now();
    const silentSince = now - this.config.keepaliveMs;
    for (const connection of this.connections) {
      if (now >= connection.expiresAt) connection.close();
      else if (connection.lastWriteAt <= silentSince) connection.ping(now);
    }
  }

  private closeUser(userId: string): void {
    for (const connection of this.connections.ofUser(userId)) connection.close();
  }

  private resyncAll(reason: string): void {
    const notice = resyncNotice(reason);
    for (const connection of this.connections) {
      if (connection.enqueue(notice)) this.schedule(connection);
    }
  }
}

/** How often streams are checked for an expired token: each ends within this of its expiry. */
const EXPIRY_SWEEP_MS = 500;

/** How long a shutdown waits for ended streams' last bytes to leave. */
const FLUSH_ON_SHUTDOWN_MS = 1000;
