import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Subscription } from 'rxjs';
import type { Socket } from 'socket.io';
import {
  StreamAccess,
  StreamAuthenticator,
  type StreamPrincipal,
  StreamRefused,
} from '../events.ports.js';
import type { ErrorBody } from '../../common/http-exception.filter.js';
import { EVENTS_OPTIONS, type EventsModuleOptions } from '../events.options.js';
import { missedEvents } from '../audience.js';
import { type ConnectionStats, ConnectionRegistry } from '../connection-registry.js';
import { EventHub } from '../event-hub.js';
import type { EventVariant, PublishedEvent } from '../published-event.js';
import type { QueueLimits } from '../bounded-queue.js';
import { StreamQuota } from '../stream-quota.js';
import { SocketConnection } from './socket-connection.js';
import {
  handshakeOptions,
  type HandshakeOptions,
  type RequestSources,
} from './socket-handshake.js';
import { eventPacket, resyncPacket, type SocketPacket } from './socket-packets.js';

/** A refused handshake: the client's `connect_error` carries `message` and `data`. */
export class HandshakeRefused extends Error {
  constructor(readonly data: ErrorBody) {
    super(data.message as string);
  }
}

interface Session extends HandshakeOptions {
  principal: StreamPrincipal;
  expiresAt: number;
  /** Gives back the socket's place in the user's stream quota; once, whichever way it ends. */
  releaseQuota: () => void;
}

const EXPIRY_SWEEP_MS = 500;

/**
 * Delivers the hub's events to every connected Socket.IO client, by the same rules as
 * SseService: one hub subscription, each event's audience decided once from the live grants,
 * then its packet (encoded once per variant) handed to the sockets of those users whose
 * library filter lets it through.
 */
@Injectable()
export class SocketService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SocketService.name);
  private readonly limits: QueueLimits;
  private readonly connections = new ConnectionRegistry<SocketConnection>();
  /** Set by the handshake check, read once the socket is connected. */
  private readonly sessions = new WeakMap<Socket, Session>();
  private subscriptions: Subscription[] = [];
  private expiryTimer?: NodeJS.Timeout;

  constructor(
    @Inject(EVENTS_OPTIONS) config: EventsModuleOptions,
    private readonly hub: EventHub,
    private readonly access: StreamAccess,
    private readonly authenticator: StreamAuthenticator,
    private readonly quota: StreamQuota,
  ) {
    this.limits = { maxEvents: config.sse.maxQueueEvents, maxBytes: config.sse.maxQueueBytes };
  }

  onModuleInit(): void {
    this.subscriptions = [
      this.hub.events$.subscribe((event) => this.dispatch(event)),
      this.access.userRemoved$.subscribe((userId) => this.closeUser(userId)),
      this.hub.gaps$.subscribe((reason) => {
        const packet = resyncPacket(reason);
        for (const connection of this.connections) connection.deliver(packet);
      }),
    ];
    this.expiryTimer = setInterval(() => this.closeExpired(), EXPIRY_SWEEP_MS).unref();
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    clearInterval(this.expiryTimer);
  }

  get stats(): ConnectionStats {
    return this.connections.stats;
  }

  /**
   * The engine.io handshake check, before any session exists (see engine-admission.ts): the
   * token of the request's header, cookie or query, verified. Returns the body to refuse with.
   */
  admit(sources: RequestSources): ErrorBody | undefined {
    try {
      this.authenticator.authenticate(sources);
      return undefined;
    } catch (error) {
      return this.refusalBody(error);
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
    try {
      const { principal, expiresAt } = this.authenticator.authenticate(sources);
      const options = handshakeOptions(sources);
      if (!this.quota.tryAcquire(principal.userId)) {
        throw new HandshakeRefused(errorBody(429, this.quota.refusal));
      }
      let held = true;
      const releaseQuota = () => {
        if (!held) return;
        held = false;
        this.quota.release(principal.userId);
      };
      // A client gone before it joined the namespace never gets 'disconnect'; its transport closes.
      socket.conn.once('close', releaseQuota);
      this.sessions.set(socket, { principal, expiresAt, releaseQuota, ...options });
    } catch (error) {
      if (error instanceof HandshakeRefused) throw error;
      throw new HandshakeRefused(this.refusalBody(error));
    }
  }

  /** Starts delivery to a socket that passed the handshake: what it missed first, then live. */
  open(socket: Socket): void {
    const session = this.sessions.get(socket);
    this.sessions.delete(socket);
    if (!session) {
      socket.disconnect(true);
      return;
    }
    if (!session.principal.active || Date.now() >= session.expiresAt) {
      session.releaseQuota();
      socket.disconnect(true);
      return;
    }
    const connection = new SocketConnection(
      socket,
      session.principal,
      session.filter,
      session.expiresAt,
      this.limits,
    );
    const engine = connection.engine;
    engine.on('drain', connection.onEngineDrain);
    socket.once('disconnect', () => {
      engine.off('drain', connection.onEngineDrain);
      this.connections.delete(connection);
      session.releaseQuota();
    });
    if (session.lastEventId !== undefined) this.replay(connection, session.lastEventId);
    this.connections.add(connection);
  }

  /** Says why a handshake failed: the token's or the query's fault, else a bare 500, logged. */
  private refusalBody(error: unknown): ErrorBody {
    if (error instanceof StreamRefused) return errorBody(401, error.message);
    if (error instanceof HttpException) return errorBody(error.getStatus(), error.message);
    this.logger.error(error);
    return errorBody(500, 'Internal server error');
  }

  private replay(connection: SocketConnection, lastEventId: number): void {
    const { principal, filter } = connection;
    const missed = missedEvents(this.hub.replayAfter(lastEventId), lastEventId, principal, filter);
    if (missed.resyncReason !== undefined) connection.deliver(resyncPacket(missed.resyncReason));
    for (const { event, variant } of missed.events) connection.deliver(packetOf(event, variant));
  }

  private dispatch(event: PublishedEvent): void {
    let full: SocketPacket | undefined;
    let forReaders: SocketPacket | undefined;
    this.connections.forEachReceiver(event, this.access, (connection, variant) => {
      connection.deliver(
        variant === event.full
          ? (full ??= packetOf(event, variant))
          : (forReaders ??= packetOf(event, variant)),
      );
    });
  }

  /** Sweeps twice a second: a token that expired ends its socket, as on SSE. */
  private closeExpired(): void {
    const now = Date.now();
    for (const connection of this.connections) {
      if (now >= connection.expiresAt) connection.socket.disconnect(true);
    }
  }

  private closeUser(userId: string): void {
    for (const connection of this.connections.ofUser(userId)) connection.socket.disconnect(true);
  }
}

function packetOf(event: PublishedEvent, variant: EventVariant): SocketPacket {
  return eventPacket(event.name, event.id, variant.data);
}

function errorBody(statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}
