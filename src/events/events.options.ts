/** How streams behave, whoever embeds the events module. */
export interface StreamSettings {
  /** The `retry:` sent to EventSource clients at connect, in ms. */
  retryMs: number;
  /**
   * When the server stops, each open stream is told to come back after `retryMs` plus a share of
   * this window drawn at random (ms; DEFAULT_DRAIN_JITTER_MS when unset), so that the clients of
   * a server that stops do not all come back in the same second.
   */
  drainJitterMs?: number;
  /** A `:ping` after this much silence on a connection, in ms. */
  keepaliveMs: number;
  /**
   * The longest, in ms, that events wait to share their writes: events that follow the last
   * write to the streams within twice the time it took wait until then, and leave together, but
   * never longer than this (DEFAULT_FLUSH_WINDOW_MS when unset; 0: each turn of the event loop
   * writes what waits). An event after a quiet spell, or after a flush of a few connections,
   * leaves at once.
   */
  flushWindowMs?: number;
  /** Per-connection queue bounds before the oldest events are skipped (`lagged`). */
  maxQueueEvents: number;
  maxQueueBytes: number;
  /** The resume history: at most this many of the newest events, this many bytes together. */
  historySize: number;
  historyBytes: number;
  /**
   * `auto`: streams let go of Node's response once their headers are out, where a check at
   * start shows that the running Node allows it; `off`: they always keep it.
   */
  handover: 'auto' | 'off';
}

/**
 * How events get their ids and reach every process: `local` numbers them in this process (and
 * keeps them in the EventStore it is given); `redis` appends them to one Redis Stream.
 */
export type EventBusSettings = { kind: 'local' } | { kind: 'redis'; url: string; prefix: string };

export interface EventsModuleOptions {
  sse: StreamSettings;
  /** Streams one user may hold open at once, SSE and Socket.IO together. */
  streamsPerUser: number;
  bus: EventBusSettings;
  /** This process's place in a node:cluster, which engine.io session ids name; else undefined. */
  workerIndex?: number;
  /**
   * Web origins whose pages may open the Socket.IO channel with credentials. The channel's
   * requests do not pass through the application's middleware; `GET /sse` does, and takes the
   * application's CORS (Reelay's `configureApp` applies the same list there).
   */
  corsOrigins?: readonly string[];
}

/** The drain window of StreamSettings when a host sets none. */
export const DEFAULT_DRAIN_JITTER_MS = 5000;

/**
 * The bound of the flush window when a host sets none: three display frames at 60 Hz, well under
 * the tenth of a second at which people notice a delay. The window reaches it only after flushes
 * of 25 ms or more, where writing to thousands of connections is what the server spends its time
 * on (a write costs the kernel about as much for one frame as for several: see the README's
 * "Against nginx+nchan").
 */
export const DEFAULT_FLUSH_WINDOW_MS = 50;

export const EVENTS_OPTIONS = Symbol('EVENTS_OPTIONS');
/** The event catalog the module delivers: Reelay's, or a host's that extends it. */
export const EVENTS_CATALOG = Symbol('EVENTS_CATALOG');
/** What the application says of itself in the AsyncAPI document (EventApiDescription). */
export const EVENT_API_DESCRIPTION = Symbol('EVENT_API_DESCRIPTION');
