import type { BackoffOptions } from './backoff.js';
import { reportHandlerError } from './errors.js';
import type { EventData, LaggedEvent, ResyncEvent } from './events.js';
import { type ConnectionState, Reconnector } from './reconnector.js';
import type { ReelaySession } from './session.js';
import { sseTransport } from './sse-transport.js';
import { canShareTabs, type SharedStatus, TabShare } from './tab-share.js';
import type { StreamRequest, StreamTransport } from './transport.js';

/** The `data` of every event name a stream delivers, `lagged` and `resync` included. */
export type StreamData = EventData & { lagged: LaggedEvent; resync: ResyncEvent };
export type StreamEventName = keyof StreamData;

/** A handler of one event name: its data and its id (none for `lagged` and `resync`). */
export type EventHandler<N extends StreamEventName> = (
  data: StreamData[N],
  id: number | undefined,
) => void;

export interface ReelayClientOptions {
  /** The server's origin, e.g. `http://localhost:3000`; in a browser, `''` (the default) is the page's. */
  url?: string;
  /** Only the events of these libraries (events without a library always come). */
  libraries?: readonly string[];
  /** SSE over fetch by default; `socketIoTransport(io)` for Socket.IO. */
  transport?: StreamTransport;
  /**
   * Credentials: a session (logs in, refreshes before expiry and after a 401), or a bearer
   * token (a function is asked again on every connection), or neither: the browser's cookie.
   */
  session?: ReelaySession;
  token?: string | (() => string | Promise<string>);
  /** Start after this id, e.g. one kept from an earlier run. */
  lastEventId?: number;
  backoff?: BackoffOptions;
  /**
   * Browsers: the tabs that open the same stream as the same user share one connection (Web
   * Locks and BroadcastChannel). On by default where the browser supports it, except with a
   * `token` function (whose user is known only once it answers); `false` for a connection per
   * tab.
   */
  share?: boolean;
}

/** The client's connection, for a status indicator. */
export interface ReelayStatus {
  readonly state: ConnectionState;
  /** The last event id received. */
  readonly lastEventId?: number;
  /** Why the stream is not open, when there is a reason. */
  readonly error?: string;
  /** Events the server skipped because this client fell behind (`lagged`), in all. */
  readonly skipped: number;
  /** How many `resync` notices came: each time, the app reloaded its state. */
  readonly resyncs: number;
  /** This tab holds the browser's connection (always, when not shared). */
  readonly leader: boolean;
}

type AnyHandler = (name: StreamEventName, data: unknown, id: number | undefined) => void;

/**
 * Reelay's event stream, typed: handlers by event name, the connection kept open across
 * failures and restarts, resumed from the last id on every reconnection (the client's own
 * included), `lagged` and `resync` surfaced, and one connection per browser.
 */
export class ReelayClient {
  private readonly handlers = new Map<string, Set<(data: unknown, id?: number) => void>>();
  private readonly anyHandlers = new Set<AnyHandler>();
  private readonly statusListeners = new Set<(status: ReelayStatus) => void>();
  private readonly transport: StreamTransport;
  private readonly reconnector: Reconnector;
  private tabs?: TabShare;
  private started = false;
  private everOpened = false;
  private current: ReelayStatus = {
    state: 'connecting',
    skipped: 0,
    resyncs: 0,
    leader: true,
  };

  constructor(private readonly options: ReelayClientOptions = {}) {
    this.transport = options.transport ?? sseTransport();
    if (options.lastEventId !== undefined) this.update({ lastEventId: options.lastEventId });
    this.reconnector = new Reconnector(
      this.transport,
      {
        request: () => this.streamRequest(),
        event: (name, data, id) => {
          this.tabs?.shareEvent(name, data, id);
          this.deliver(name, data, id);
        },
        state: (state, error) => {
          if (state === 'open') this.reopened();
          this.update({ state, error });
          this.tabs?.shareStatus(this.shared());
        },
        reauthenticate: () => this.reauthenticate(),
      },
      options.backoff,
    );
  }

  get status(): ReelayStatus {
    return this.current;
  }

  get state(): ConnectionState {
    return this.current.state;
  }

  get lastEventId(): number | undefined {
    return this.current.lastEventId;
  }

  /** Calls the handler for each event of that name; returns the way to stop. */
  on<N extends StreamEventName>(name: N, handler: EventHandler<N>): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    const entry = handler as (data: unknown, id?: number) => void;
    set.add(entry);
    return () => set.delete(entry);
  }

  /** Every event, whatever its name. */
  onAny(handler: AnyHandler): () => void {
    this.anyHandlers.add(handler);
    return () => this.anyHandlers.delete(handler);
  }

  /** The server skipped `skipped` events for this client: what it shows may be stale. */
  onLagged(handler: (skipped: number) => void): () => void {
    return this.on('lagged', (data) => handler(data.Lagged.skipped));
  }

  /** The server could not replay what was missed: reload the state, then go on. */
  onResync(handler: (reason: string) => void): () => void {
    return this.on('resync', (data) => handler(data.Resync.reason));
  }

  onStatus(listener: (status: ReelayStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Opens the stream (or joins the tab that holds it). */
  start(): this {
    if (this.started) return this;
    this.started = true;
    const shareKey = this.shareKey();
    if (this.options.share !== false && shareKey !== undefined && canShareTabs()) {
      this.update({ leader: false });
      this.tabs = new TabShare(shareKey, {
        lead: () => {
          this.update({ leader: true });
          this.reconnector.start();
        },
        event: (name, data, id) => this.deliver(name, data, id),
        status: ({ state, error, lastEventId }) => {
          // Open through the leader: should this tab lead one day, that is a reconnection.
          if (state === 'open') this.everOpened = true;
          this.update({ state, error });
          if (lastEventId !== undefined && (this.lastEventId ?? 0) < lastEventId) {
            this.update({ lastEventId });
          }
        },
        snapshot: () => this.shared(),
      });
      this.tabs.start();
    } else {
      this.reconnector.start();
    }
    return this;
  }

  /** Closes the stream; a tab that held the browser's connection hands it to another. */
  close(): void {
    this.started = false;
    this.reconnector.stop();
    this.tabs?.close();
    this.tabs = undefined;
    this.update({ state: 'closed', error: undefined });
  }

  /**
   * A stream opened again before any event gave the client a place to resume from: what was
   * published in between is unknown, so the app is told to reload, as after a server `resync`.
   */
  private reopened(): void {
    if (this.everOpened && this.lastEventId === undefined) {
      const notice: ResyncEvent = { Resync: { reason: 'reconnected before any event id' } };
      this.tabs?.shareEvent('resync', notice, undefined);
      this.deliver('resync', notice, undefined);
    }
    this.everOpened = true;
  }

  private deliver(name: string, data: unknown, id: number | undefined): void {
    if (id !== undefined) {
      // Replays around a reconnection or a takeover between tabs may repeat what came already.
      if (this.lastEventId !== undefined && id <= this.lastEventId) return;
      this.update({ lastEventId: id });
    }
    if (name === 'lagged') {
      this.update({ skipped: this.current.skipped + (data as LaggedEvent).Lagged.skipped });
    } else if (name === 'resync') {
      this.update({ resyncs: this.current.resyncs + 1 });
    }
    for (const handler of this.handlers.get(name) ?? []) {
      try {
        handler(data, id);
      } catch (error) {
        reportHandlerError(error);
      }
    }
    for (const handler of this.anyHandlers) {
      try {
        handler(name as StreamEventName, data, id);
      } catch (error) {
        reportHandlerError(error);
      }
    }
  }

  private update(change: Partial<ReelayStatus>): void {
    const next = { ...this.current, ...change };
    if (
      next.state === this.current.state &&
      next.error === this.current.error &&
      next.lastEventId === this.current.lastEventId &&
      next.skipped === this.current.skipped &&
      next.resyncs === this.current.resyncs &&
      next.leader === this.current.leader
    ) {
      return;
    }
    this.current = next;
    for (const listener of this.statusListeners) listener(next);
  }

  private shared(): SharedStatus {
    const { state, error, lastEventId } = this.current;
    return { state, error, lastEventId };
  }

  private async streamRequest(): Promise<StreamRequest> {
    const { session, token, libraries } = this.options;
    let bearer: string | undefined;
    if (typeof token === 'function') bearer = await token();
    else if (token !== undefined) bearer = token;
    else if (session) {
      const expiresAt = session.expiresAt;
      if (expiresAt !== undefined && expiresAt - Date.now() < TOKEN_MARGIN_MS) {
        await session.refresh();
      }
      bearer = session.accessToken;
    }
    return {
      baseUrl: this.baseUrl(),
      libraries,
      lastEventId: this.lastEventId,
      token: bearer,
    };
  }

  private reauthenticate(): Promise<boolean> {
    if (this.options.session) return this.options.session.refresh();
    return Promise.resolve(typeof this.options.token === 'function');
  }

  private baseUrl(): string {
    return this.options.url ?? this.options.session?.url ?? '';
  }

  /**
   * What tabs must have in common to share a stream: the server, the transport, the libraries
   * and the user, so that no tab ever receives another user's events. A session's or a token's
   * user is its subject; without either, the tabs send the profile's one `token` cookie. None
   * for a token function, whose user is unknown until it answers.
   */
  private shareKey(): string | undefined {
    const { session, token, libraries = [] } = this.options;
    if (typeof token === 'function') return undefined;
    const bearer = token ?? session?.accessToken;
    const user = bearer === undefined ? 'cookie' : subjectOf(bearer);
    if (user === undefined) return undefined;
    const origin = this.baseUrl() || pageOrigin();
    const sorted = [...libraries].sort((a, b) => a.localeCompare(b));
    return `reelay:${this.transport.name}:${origin}:${user}:${sorted.join(',')}`;
  }
}

/** The `sub` of a JWT, read without verifying it (the server does): only to group tabs. */
export function subjectOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const base64 = payload.replaceAll('-', '+').replaceAll('_', '/');
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (char) =>
        char.charCodeAt(0),
      ),
    );
    const { sub } = JSON.parse(json) as { sub?: unknown };
    return typeof sub === 'string' ? `user:${sub}` : undefined;
  } catch {
    return undefined;
  }
}

function pageOrigin(): string {
  return (globalThis as { location?: { origin: string } }).location?.origin ?? '';
}

/** A token this close to its expiry is refreshed before a stream is opened with it. */
const TOKEN_MARGIN_MS = 5000;
