import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Server, Socket } from 'socket.io';
import {
  StreamAccess,
  StreamAuthenticator,
  type StreamIdentity,
  StreamRefused,
} from '../events.ports.js';
import type { ErrorBody } from '../../common/http-exception.filter.js';
import { EVENTS_OPTIONS, type EventsModuleOptions } from '../events.options.js';
import type { ConnectionStats } from '../connection-registry.js';
import { EventHub } from '../event-hub.js';
import { EventCounters } from '../event-counters.js';
import { StreamQuota } from '../stream-quota.js';
import { StreamSupervisor } from '../stream-supervisor.js';
import type { AdmissionRefusal } from './engine-admission.js';
import { SocketConnection, type WireFinder } from './socket-connection.js';
import {
  handshakeOptions,
  type HandshakeOptions,
  type RequestSources,
} from './socket-handshake.js';
import { type SocketPacket, socketEncoder } from './socket-packets.js';
import { websocketWire } from './websocket-wire.js';

/** A refused handshake: the client's `connect_error` carries `message` and `data`. */
export class HandshakeRefused extends Error {
  constructor(readonly data: ErrorBody) {
    super(data.message as string);
  }
}

/** What a socket's handshake established: who, until when, in which login session, its options. */
interface Session extends HandshakeOptions, StreamIdentity {
  /** Gives back the socket's place in the user's stream quota if it never joins. */
  releaseQuota: () => void;
}

/**
 * Socket.IO's side of delivery: the handshake checks, then each connected socket handed to the
 * same supervision as `GET /sse` (stream-supervisor.ts), with Socket.IO packets as its frames.
 */
@Injectable()
export class SocketService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SocketService.name);
  private readonly supervisor: StreamSupervisor<SocketPacket, SocketConnection>;
  /** Set by the handshake check, read once the socket is connected. */
  private readonly sessions = new WeakMap<Socket, Session>();
  /** Identities the engine.io handshake admitted that cannot be checked twice, by its request. */
  private readonly admittedOnce = new WeakMap<IncomingMessage, StreamIdentity>();
  private wireOf: WireFinder = websocketWire;

  constructor(
    @Inject(EVENTS_OPTIONS) config: EventsModuleOptions,
    hub: EventHub,
    access: StreamAccess,
    private readonly authenticator: StreamAuthenticator,
    private readonly quota: StreamQuota,
    counters: EventCounters,
  ) {
    this.supervisor = new StreamSupervisor(
      hub,
      access,
      quota,
      socketEncoder,
      config.sse,
      counters.socketio,
    );
  }

  onModuleInit(): void {
    this.supervisor.start();
  }

  /**
   * The first of Nest's shutdown hooks: every socket is sent away at once (socket.io-client
   * reconnects by itself, after its own randomized delay), and handshakes are refused from now on.
   */
  onModuleDestroy(): void {
    const { connections } = this.supervisor.stats;
    this.supervisor.drain();
    this.supervisor.stop();
    if (connections > 0) {
      this.logger.log(
        `Stopping: the Socket.IO clients are told to reconnect (sockets: ${connections})`,
      );
    }
  }

  get stats(): ConnectionStats {
    return this.supervisor.stats;
  }

  /**
   * Frames go to a websocket's TCP socket directly only where ws sends them as they are: an
   * engine.io server with per-message compression gets them through engine.io.
   */
  useServer(server: Server): void {
    this.wireOf = server.engine.opts.perMessageDeflate ? noWire : websocketWire;
  }

  /**
   * The engine.io handshake check, before any session exists (see engine-admission.ts): none
   * while the server stops (503, and when to come back), else the token of the request's header,
   * cookie or query, verified. Returns how to refuse.
   */
  admit(
    request: IncomingMessage,
    sources: RequestSources,
  ): AdmissionRefusal | undefined | Promise<AdmissionRefusal | undefined> {
    if (this.supervisor.draining) {
      return {
        body: errorBody(503, SHUTTING_DOWN),
        retryAfterSeconds: this.supervisor.retryAfterSeconds(),
      };
    }
    try {
      const identity = this.authenticator.authenticate(sources);
      if (!(identity instanceof Promise)) return undefined;
      // What can be checked once only (a ticket) is not checked again when the socket joins.
      return identity.then(
        (admitted) => {
          this.admittedOnce.set(request, admitted);
          return undefined;
        },
        (error: unknown) => ({ body: this.refusalBody(error) }),
      );
    } catch (error) {
      return { body: this.refusalBody(error) };
    }
  }

  /**
   * The namespace check (socket.io middleware): the token again, as it may have expired since
   * the engine.io handshake, and first, as the HTTP guard runs before the query is read; then
   * the filter and the resume point. Throws HandshakeRefused.
   */
  authenticate(socket: Socket): void {
    const { handshake } = socket;
    const sources = { auth: handshake.auth, headers: handshake.headers, query: handshake.query };
    if (this.supervisor.draining) throw new HandshakeRefused(errorBody(503, SHUTTING_DOWN));
    try {
      const identity = this.identityOf(socket, sources);
      const { principal } = identity;
      const options = handshakeOptions(sources);
      if (!this.quota.tryAcquire(principal.userId)) {
        throw new HandshakeRefused(errorBody(429, this.quota.refusal));
      }
      const releaseQuota = () => this.quota.release(principal.userId);
      // A client gone before it joined the namespace never gets 'disconnect'; its transport closes.
      socket.conn.once('close', releaseQuota);
      this.sessions.set(socket, { ...identity, releaseQuota, ...options });
    } catch (error) {
      if (error instanceof HandshakeRefused) throw error;
      throw new HandshakeRefused(this.refusalBody(error));
    }
  }

  /**
   * The identity the engine.io handshake admitted once (a ticket), else the request's token
   * verified again, as it may have expired since the handshake.
   */
  private identityOf(socket: Socket, sources: RequestSources): StreamIdentity {
    const admitted = this.admittedOnce.get(socket.request);
    if (admitted !== undefined) {
      this.admittedOnce.delete(socket.request);
      return admitted;
    }
    const identity = this.authenticator.authenticate(sources);
    if (identity instanceof Promise) {
      // Nothing admitted it at the handshake, which is where what is checked once is checked.
      void identity.catch(() => undefined);
      throw new HandshakeRefused(errorBody(401, 'This connection was not admitted'));
    }
    return identity;
  }

  /** Starts delivery to a socket that passed the handshake: what it missed first, then live. */
  open(socket: Socket): void {
    const session = this.sessions.get(socket);
    this.sessions.delete(socket);
    if (!session) {
      socket.disconnect(true);
      return;
    }
    // From here on its place in the quota is given back when it disconnects.
    socket.conn.off('close', session.releaseQuota);
    const now = Date.now();
    if (!session.principal.active || now >= session.expiresAt) {
      session.releaseQuota();
      socket.disconnect(true);
      return;
    }
    const connection = new SocketConnection(
      socket,
      socketEncoder,
      session.principal,
      session.filter,
      session.expiresAt,
      session.sessionId,
      this.supervisor.limits,
      now,
      this.wireOf,
      this.drained,
    );
    socket.on('disconnect', () => this.supervisor.remove(connection));
    this.supervisor.add(connection, session.lastEventId, now);
  }

  private readonly drained = (connection: SocketConnection): void =>
    this.supervisor.drained(connection);

  /** Says why a handshake failed: the token's or the query's fault, else a bare 500, logged. */
  private refusalBody(error: unknown): ErrorBody {
    if (error instanceof StreamRefused) return errorBody(401, error.message);
    if (error instanceof HttpException) return errorBody(error.getStatus(), error.message);
    this.logger.error(error);
    return errorBody(500, 'Internal server error');
  }
}

const SHUTTING_DOWN = 'The server is shutting down; connect again shortly';

function noWire(): undefined {
  return undefined;
}

function errorBody(statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}
