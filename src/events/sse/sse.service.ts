import {
  HttpStatus,
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
import { StreamAccess } from '../events.ports.js';
import type { StreamPrincipal } from '../events.ports.js';
import {
  EVENTS_OPTIONS,
  type EventsModuleOptions,
  type StreamSettings,
} from '../events.options.js';
import type { LibraryFilter } from '../audience.js';
import type { ConnectionStats } from '../connection-registry.js';
import { EventHub } from '../event-hub.js';
import type { WireForms } from '../http-chunk.js';
import { canHandOver, handOver, handoverHolds } from './response-handover.js';
import { EventCounters } from '../event-counters.js';
import { StreamQuota } from '../stream-quota.js';
import { RetryLaterException } from '../../common/retry-later.exception.js';
import type { FrameEncoder } from '../stream-connection.js';
import { StreamSupervisor } from '../stream-supervisor.js';
import { SseConnection, sseEncoder } from './sse-connection.js';
import { retryFrame, SSE_HEADERS } from './sse-frames.js';
import { StreamSink } from './stream-sink.js';

export interface SseStreamOptions {
  filter: LibraryFilter;
  /** The resume point: the id of the last event the client saw. */
  lastEventId?: number;
  /** When the token expires: the stream ends then, and the client must log in again. */
  expiresAt: number;
  /** The login session the stream was opened in, if any: the stream ends with it. */
  sessionId?: string;
}

/**
 * Delivers the hub's events to every open `GET /sse` stream. It subscribes to the hub once,
 * decides each event's audience once (from the live grants, by user), and hands the prebuilt
 * frame to the connections of those users whose library filter lets it through. Frames that
 * reach a connection before its flush (StreamSupervisor) leave in one write.
 */
@Injectable()
export class SseService
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly config: StreamSettings;
  private readonly supervisor: StreamSupervisor<WireForms, SseConnection>;
  private readonly encoder: FrameEncoder<WireForms>;
  private readonly streamSockets = new WeakSet<Socket>();
  /** How many requests each connection has carried, and which of them each request was. */
  private readonly requestsOn = new WeakMap<Socket, number>();
  private readonly ordinals = new WeakMap<IncomingMessage, number>();
  /** Whether streams let go of Node's response (response-handover.ts); decided at start. */
  private handsOver = false;
  private readonly logger = new Logger(SseService.name);

  constructor(
    @Inject(EVENTS_OPTIONS) config: EventsModuleOptions,
    hub: EventHub,
    access: StreamAccess,
    private readonly adapterHost: HttpAdapterHost,
    private readonly quota: StreamQuota,
    counters: EventCounters,
  ) {
    this.config = config.sse;
    this.encoder = sseEncoder(retryFrame(config.sse.retryMs));
    this.supervisor = new StreamSupervisor(
      hub,
      access,
      quota,
      this.encoder,
      config.sse,
      counters.sse,
    );
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
    this.supervisor.start();
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

  /**
   * The first of Nest's shutdown hooks (the other modules' `beforeApplicationShutdown` may wait
   * for their work, and this global module's come after theirs): every stream is sent away at
   * once, told when to come back, and new ones are refused from now on (503).
   */
  onModuleDestroy(): void {
    this.drain();
    this.supervisor.stop();
  }

  /**
   * Open streams would keep the HTTP server from closing. Each ended with its last chunk (when
   * the shutdown began), and the shutdown waits (a moment at most) until the system has taken
   * it: the server's close then destroys the connections it sees as idle, and a destroyed socket
   * drops what it still held.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + FLUSH_ON_SHUTDOWN_MS;
    while (Date.now() < deadline && !this.supervisor.allFlushed()) {
      // oxlint-disable-next-line no-await-in-loop -- polls until flushed, briefly
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private drain(): void {
    if (this.supervisor.draining) return;
    const { connections } = this.supervisor.stats;
    this.supervisor.drain();
    if (connections > 0) {
      this.logger.log(
        `Stopping: the open streams are told when to come back (streams: ${connections})`,
      );
    }
  }

  /**
   * Since Node 19 `server.close()` destroys the connections it sees as idle, which a
   * handed-over stream is; a stream that keeps its response would keep the server open. A host
   * that closes the server without Nest's shutdown gets every stream sent away as at a shutdown,
   * ended with its last chunk, never cut in the middle of a frame.
   */
  private endStreamsWhenServerCloses(server: Server): void {
    const close = server.close.bind(server);
    server.close = (callback?: (error?: Error) => void) => {
      this.drain();
      return close(callback);
    };
  }

  get stats(): ConnectionStats {
    return this.supervisor.stats;
  }

  /**
   * Opens a stream, or refuses it before any byte of it: with 503 while the server stops, with
   * 429 when the user already holds all the streams they may.
   */
  open(
    principal: StreamPrincipal,
    request: IncomingMessage,
    response: ServerResponse,
    options: SseStreamOptions,
  ): void {
    if (this.supervisor.draining) this.refuseWhileDraining(response);
    if (!this.quota.tryAcquire(principal.userId)) {
      throw new RetryLaterException(
        this.quota.refusal,
        Math.max(1, Math.ceil(this.config.retryMs / 1000)),
      );
    }
    this.beginOrRelease(principal, request, response, options);
  }

  /**
   * 503 with `Retry-After`, drawn as the streams sent away were told. The header goes on the
   * response as well: a host's exception filter writes the status and body and keeps it.
   */
  private refuseWhileDraining(response: ServerResponse): never {
    const retryAfterSeconds = this.supervisor.retryAfterSeconds();
    response.setHeader('Retry-After', String(retryAfterSeconds));
    throw new RetryLaterException(
      'The server is shutting down; open the stream again shortly',
      retryAfterSeconds,
      HttpStatus.SERVICE_UNAVAILABLE,
    );
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
      this.encoder,
      principal,
      options.filter,
      options.expiresAt,
      options.sessionId,
      this.supervisor.limits,
      now,
    );
    this.start(connection, sink, options.lastEventId, now);
    const resume = options.lastEventId === undefined ? '' : `, after event ${options.lastEventId}`;
    this.logger.debug(`Stream opened for user ${principal.userId}${resume}`);
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
    this.supervisor.add(connection, lastEventId, now);
    sink.listen(
      () => this.supervisor.drained(connection),
      () => this.supervisor.remove(connection),
    );
  }
}

/** How long a shutdown waits for ended streams' last bytes to leave. */
const FLUSH_ON_SHUTDOWN_MS = 1000;
