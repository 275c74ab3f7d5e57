import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { engineSessionId } from '../../cluster/engine-session-id.js';
import { corsPolicy } from '../../common/cors-policy.js';
import { EVENTS_OPTIONS, type EventsModuleOptions } from '../events.options.js';
import { engineAdmission } from './engine-admission.js';
import { HandshakeRefused, SocketService } from './socket.service.js';

/** Clients only listen; a bigger message from one is refused rather than buffered. */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/**
 * The Socket.IO channel (path `/socket.io`, default namespace): the same events as `GET /sse`,
 * for the same users, under the same names.
 *
 * Wire contract: each event arrives as `emit(name, data, id)`, so a client handler is
 * `(data, id) => …` where `data` is the parsed SSE `data` (the wrapped message, for example
 * `{ Medias: {...} }`) and `id` the global event id as a number; `lagged` and `resync` come
 * with no id. Authentication: the first HTTP request (the polling handshake or the websocket
 * upgrade) carries what the authentication port reads (Reelay's: a `ticket` query, or the token
 * in the `Authorization: Bearer` header, the `token` cookie or the `token` query); a credential
 * the port can check only once (a ticket) is not checked again when the socket joins the
 * namespace. `auth.token` is not read, as it arrives only once a session exists. Without a
 * valid token that request gets HTTP 401 with `{statusCode, error, message}`, as any HTTP error
 * body, and no session: socket.io-client reports its transport's `connect_error`, "xhr poll
 * error" (`description`: the status; `context.responseText`, read in the handler: the body) or
 * "websocket error". Options: the `libraries` query (as on SSE) and `auth.lastEventId` (or the
 * `lastEventId` query) to resume. Joining the namespace checks the token again (it may have
 * expired meanwhile), the user's stream quota and the options: a refusal there is a
 * `connect_error` whose `message` says why and whose `data` is the same body. The server
 * disconnects a socket when its token expires or its user is deleted; the client then needs a
 * new token rather than an automatic reconnection. When the server stops, it closes each
 * socket's transport instead ("transport close"), and socket.io-client reconnects by itself;
 * handshakes meanwhile get 503 with `Retry-After`.
 *
 * The server is attached to the application's HTTP server here rather than declared as a Nest
 * `@WebSocketGateway`: clients send no messages, and Nest's adapter builds an rxjs pipeline for
 * every socket all the same (1.5 of the 3.4 KB of heap a Reelay socket held beyond a plain
 * Socket.IO one, measured with heap snapshots). So the channel also works whatever WebSocket
 * adapter a host application uses.
 */
@Injectable()
export class SocketChannel implements OnModuleInit, BeforeApplicationShutdown {
  private attached?: Server;

  constructor(
    private readonly sockets: SocketService,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(EVENTS_OPTIONS) private readonly config: EventsModuleOptions,
  ) {}

  /** The Socket.IO server, once attached (for operators' figures such as engine.clientsCount). */
  get server(): Server | undefined {
    return this.attached;
  }

  /**
   * Attached before any bootstrap hook: engine.io takes over the HTTP server's `request`
   * listeners, and those added later (SseService's request count) see every request.
   */
  onModuleInit(): void {
    // An application context without HTTP (the cluster primary's one-time set-up) has none.
    const httpServer = this.adapterHost.httpAdapter?.getHttpServer() as HttpServer | undefined;
    if (!httpServer) return;
    const server = new Server(httpServer, {
      path: '/socket.io',
      serveClient: false,
      maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
      // How long an authenticated engine.io session may wait to join the namespace (default
      // 45 s): socket.io-client joins as soon as its session opens; a longer wait only serves
      // one that never joins.
      connectTimeout: 10_000,
      // Without origins, engine.io adds no CORS headers at all.
      ...(this.config.corsOrigins?.length ? { cors: corsPolicy(this.config.corsOrigins) } : {}),
    });
    const { workerIndex } = this.config;
    if (workerIndex !== undefined) {
      // The cluster's primary finds a polling session's worker by its id.
      server.engine.generateId = () => engineSessionId(workerIndex);
    }
    this.sockets.useServer(server);
    server.engine.use(engineAdmission((request, sources) => this.sockets.admit(request, sources)));
    server.use((socket, next) => {
      try {
        this.sockets.authenticate(socket);
        next();
      } catch (error) {
        next(error as HandshakeRefused);
      }
    });
    server.on('connection', (socket) => this.sockets.open(socket));
    this.attached = server;
  }

  /**
   * Ends every engine.io session before the application closes its HTTP server, which would
   * otherwise wait for the upgraded connections to end. The sockets that had joined were sent
   * away when the shutdown began (SocketService); this closes the rest, those still joining, the
   * same way: their transport closes, without Socket.IO's disconnect that would keep
   * socket.io-client from reconnecting.
   */
  beforeApplicationShutdown(): void {
    this.attached?.engine.close();
  }
}
