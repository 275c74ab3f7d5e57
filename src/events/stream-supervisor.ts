import type { Subscription } from 'rxjs';
import { missedEvents } from './audience.js';
import type { QueueLimits } from './bounded-queue.js';
import { type ConnectionStats, ConnectionRegistry } from './connection-registry.js';
import type { StreamCounters } from './event-counters.js';
import type { EventHub } from './event-hub.js';
import type { StreamAccess } from './events.ports.js';
import {
  DEFAULT_DRAIN_JITTER_MS,
  DEFAULT_FLUSH_WINDOW_MS,
  type StreamSettings,
} from './events.options.js';
import type { EventVariant, PublishedEvent } from './published-event.js';
import type { FrameEncoder, StreamConnection } from './stream-connection.js';
import type { StreamQuota } from './stream-quota.js';

/**
 * What both transports share once a connection is open: the hub's events, each one's audience
 * decided once (from the live grants, by user) and its frame encoded once per variant; the
 * replay of what a resuming client missed; one flush for every connection that has frames
 * waiting, at the end of the event-loop turn, or, for events that follow the last flush within
 * twice the time that flush took (at most the flush window), once that has passed: a write costs
 * the kernel about as much for one frame as for several, so events in a rush share their writes
 * where writing is what the server spends its time on, while events to a few connections, and
 * an event after a quiet spell, leave at once; and one timer that ends connections whose token
 * expired and keeps silent ones alive. Users who are removed lose their connections, and so do
 * sessions that end (a logout); a gap in the ids sends every connection `resync`. When the
 * server stops, it sends every connection away, each told to come back at a time of its own
 * (`drain`). Each transport's service opens connections and says how they are encoded
 * (FrameEncoder) and written (StreamConnection).
 */
export class StreamSupervisor<F, C extends StreamConnection<F>> {
  /** The bounds of each connection's queue. */
  readonly limits: QueueLimits;
  private readonly connections = new ConnectionRegistry<C>();
  private toFlush: C[] = [];
  /** The other list, swapped with toFlush at each flush so that no turn allocates one. */
  private flushing: C[] = [];
  private flushScheduled = false;
  private flushTimer?: NodeJS.Timeout;
  /**
   * When the next flush may be (clock time): after the last one, WINDOW_PER_FLUSH_TIME times as
   * long as it took, at most `flushWindowMs`.
   */
  private nextFlushAt = Number.NEGATIVE_INFINITY;
  private readonly flushWindowMs: number;
  private subscriptions: Subscription[] = [];
  private sweepTimer?: NodeJS.Timeout;
  private isDraining = false;

  constructor(
    private readonly hub: EventHub,
    private readonly access: StreamAccess,
    private readonly quota: StreamQuota,
    private readonly encoder: FrameEncoder<F>,
    private readonly settings: StreamSettings,
    private readonly counters: StreamCounters,
    /** A monotonic clock in ms: the flush window's (tests give one of their own). */
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.limits = { maxEvents: settings.maxQueueEvents, maxBytes: settings.maxQueueBytes };
    this.flushWindowMs = settings.flushWindowMs ?? DEFAULT_FLUSH_WINDOW_MS;
  }

  start(): void {
    this.subscriptions = [
      this.hub.events$.subscribe((event) => this.dispatch(event)),
      this.access.userRemoved$.subscribe((userId) => this.closeUser(userId)),
      this.hub.gaps$.subscribe((reason) => this.resyncAll(reason)),
    ];
    const sessionEnded$ = this.access.sessionEnded$;
    if (sessionEnded$ !== undefined) {
      this.subscriptions.push(
        sessionEnded$.subscribe(({ userId, sessionId }) => this.closeSession(userId, sessionId)),
      );
    }
    const sweepMs = Math.max(
      10,
      Math.min(EXPIRY_SWEEP_MS, Math.floor(this.settings.keepaliveMs / 10)),
    );
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs).unref();
  }

  stop(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    clearInterval(this.sweepTimer);
    clearTimeout(this.flushTimer);
  }

  get stats(): ConnectionStats {
    return this.connections.stats;
  }

  /** Set by `drain`: the transport refuses new connections from then on. */
  get draining(): boolean {
    return this.isDraining;
  }

  /**
   * Sends every connection away, the server being about to stop: what waits in its queue leaves
   * first, then the transport's notice of when to come back (`reconnectDelayMs`, drawn for each
   * connection), then its end. A connection added from now on is sent away as it opens.
   */
  drain(): void {
    this.isDraining = true;
    const now = Date.now();
    for (const connection of this.connections) this.sendAway(connection, now);
  }

  /** `Retry-After` for a connection refused while draining: a delay drawn as for those sent away. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(reconnectDelayMs(this.settings) / 1000));
  }

  /**
   * Takes over a connection: its opening frame and what it missed since `lastEventId` first
   * (outside its queue: the history is the bound there, and a replay cut to the queue's size
   * would report a lag the client never had), then live events.
   */
  add(connection: C, lastEventId: number | undefined, now: number): void {
    const { opening } = this.encoder;
    let first: F[] = [];
    if (lastEventId !== undefined) {
      this.counters.resumes++;
      first = this.missed(connection, lastEventId);
    }
    connection.writeAll(opening === undefined ? first : [opening, ...first], now);
    this.connections.add(connection);
    // The session may have ended while the request was being authenticated (a ticket's lookup).
    const { sessionId } = connection;
    if (sessionId !== undefined && this.access.isSessionEnded?.(sessionId)) connection.close();
    else if (this.isDraining) this.sendAway(connection, now);
  }

  /** The connection ended, whichever way: it leaves, and its place in the user's quota is free. */
  remove(connection: C): void {
    this.connections.delete(connection);
    this.quota.release(connection.principal.userId);
  }

  /**
   * The connection's transport took what it held: what waits follows at once, as a client that
   * reads slowly has waited long enough.
   */
  drained(connection: C): void {
    if (connection.drained()) this.flush(connection, Date.now());
  }

  /** Every connection ended and its last bytes taken (or cut off). */
  allFlushed(): boolean {
    for (const connection of this.connections) if (!connection.flushed) return false;
    return true;
  }

  private sendAway(connection: C, now: number): void {
    connection.closeToReconnect(this.encoder.reconnect?.(reconnectDelayMs(this.settings)), now);
  }

  private missed(connection: C, lastEventId: number): F[] {
    const { principal, filter } = connection;
    const missed = missedEvents(this.hub.replayAfter(lastEventId), lastEventId, principal, filter);
    const frames = missed.events.map(({ event, variant }) => this.encoder.event(event, variant));
    this.counters.delivered += frames.length;
    if (missed.resyncReason !== undefined) {
      this.counters.resyncs++;
      frames.unshift(this.encoder.resync(missed.resyncReason));
    }
    return frames;
  }

  private dispatch(event: PublishedEvent): void {
    const encoder = this.encoder;
    let full: F | undefined;
    let forReaders: F | undefined;
    let delivered = 0;
    this.connections.forEachReceiver(event, this.access, (connection, variant: EventVariant) => {
      const frame =
        variant === event.full
          ? (full ??= encoder.event(event, variant))
          : (forReaders ??= encoder.event(event, variant));
      delivered++;
      if (connection.enqueue(frame)) this.schedule(connection);
    });
    this.counters.delivered += delivered;
  }

  private schedule(connection: C): void {
    if (connection.scheduled) return;
    connection.scheduled = true;
    this.toFlush.push(connection);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const wait = this.nextFlushAt - this.clock();
    if (wait > 0) this.flushTimer = setTimeout(this.flushAll, wait);
    else setImmediate(this.flushAll);
  }

  private readonly flushAll = (): void => {
    const connections = this.toFlush;
    this.toFlush = this.flushing;
    this.flushing = connections;
    this.flushScheduled = false;
    const began = this.clock();
    const now = Date.now();
    for (const connection of connections) this.flush(connection, now);
    connections.length = 0;
    const ended = this.clock();
    this.nextFlushAt =
      ended + Math.min(this.flushWindowMs, (ended - began) * WINDOW_PER_FLUSH_TIME);
  };

  private flush(connection: C, now: number): void {
    const skipped = connection.flush(now);
    if (skipped > 0) {
      this.counters.skipped += skipped;
      this.counters.lagged++;
    }
  }

  /** One timer for all connections: ends those whose token expired, keeps the silent ones alive. */
  private sweep(): void {
    const now = Date.now();
    const silentSince = now - this.settings.keepaliveMs;
    for (const connection of this.connections) {
      if (now >= connection.expiresAt) connection.close();
      else if (connection.lastWriteAt <= silentSince) connection.keepAlive(now);
    }
  }

  private closeUser(userId: string): void {
    for (const connection of this.connections.ofUser(userId)) connection.close();
  }

  private closeSession(userId: string, sessionId: string): void {
    for (const connection of this.connections.ofUser(userId)) {
      if (connection.sessionId === sessionId) connection.close();
    }
  }

  private resyncAll(reason: string): void {
    const notice = this.encoder.resync(reason);
    this.counters.resyncs += this.connections.size;
    for (const connection of this.connections) {
      if (connection.enqueue(notice)) this.schedule(connection);
    }
  }
}

/**
 * The next flush waits this many times as long as the last one took (at most the flush window):
 * while events keep coming, writing then takes at most a third of the event loop until the
 * window reaches its bound, and the more connections a flush writes, the longer events gather
 * for the next.
 */
const WINDOW_PER_FLUSH_TIME = 2;

/** How often connections are checked for an expired token: each ends within this of its expiry. */
const EXPIRY_SWEEP_MS = 500;

/**
 * When a client sent away by a server that stops, or refused while it drains, may come back: the
 * retry delay plus a share of the drain window drawn uniformly at random, so that the clients of
 * a server that stops do not all come back in the same second.
 */
export function reconnectDelayMs(settings: StreamSettings): number {
  const window = settings.drainJitterMs ?? DEFAULT_DRAIN_JITTER_MS;
  return settings.retryMs + Math.floor(Math.random() * (window + 1));
}
