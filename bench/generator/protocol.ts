/** The messages between the orchestrator and a load generator (over the child's IPC channel). */

export type Transport = 'sse' | 'socketio';

/**
 * count: count frames; latency: also read each frame's send time; resume (SSE only): also
 * follow each connection's event ids, for the reconnect storm.
 */
export type ClientMode = 'count' | 'latency' | 'resume';

export interface ConnectionSpec {
  /** `/sse?...` for SSE; the Socket.IO path for Socket.IO. */
  path: string;
  token?: string;
  /** Sent as `Last-Event-ID` (SSE). */
  lastEventId?: number;
}

export interface HttpCall {
  port: number;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export type GeneratorCommand =
  | {
      type: 'open';
      transport: Transport;
      port: number;
      specs: ConnectionSpec[];
      mode: ClientMode;
      concurrency: number;
      timeoutMs: number;
      /**
       * The addresses the connections come from (127.x.y.z), in turn; the kernel's choice when
       * undefined. One source address has only ~28,000 ephemeral ports towards one server port.
       */
      localAddresses?: string[];
    }
  | { type: 'reset'; recordLatency: boolean }
  | { type: 'tracked' }
  | {
      type: 'storm';
      port: number;
      /** Reconnections in flight at once (connected, response head not yet read). */
      concurrency: number;
      timeoutMs: number;
      localAddresses?: string[];
    }
  | { type: 'burst'; publish: HttpCall; expected: number; timeoutMs: number }
  | { type: 'await'; expected: number; timeoutMs: number }
  | { type: 'latency' }
  | { type: 'close' };

export interface OpenResult {
  opened: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
}

export interface Counts {
  /** Event frames (SSE) or events (Socket.IO) received since the last reset. */
  received: number;
  /** Events the server reported as skipped (`lagged`) since the last reset. */
  skipped: number;
  open: number;
  /** Connections the server closed or broke after they had opened. */
  lost: number;
}

export interface WaitResult extends Counts {
  complete: boolean;
  /** From the start (burst: just before the publish request) to the last expected frame;
   * a burst's counts are read a moment later, so that extra deliveries show. */
  elapsedMs: number;
  publishMs?: number;
  /** Burst: the machine's CPU busy share (0-1, all cores) from the publish to the last frame. */
  machineBusy?: number;
}

export interface LatencyResult extends Counts {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** How long samples were recorded, in ms. */
  windowMs: number;
}

/** What the `resume` connections have seen so far (see ResumeTracker). */
export interface TrackedResult {
  clients: number;
  /** Connections that have seen an event id. */
  withId: number;
  /** `resync` notices received. */
  resyncs: number;
  /** Ids that skipped one or more ids ahead: events lost, where every id is due. */
  lost: number;
  /** Ids at or below the one before: events received twice. */
  repeated: number;
}

/**
 * A reconnect storm: every `resume` connection dropped at once, then opened again with
 * `Last-Event-ID`. A connection has resumed once its first event after the reconnect arrived.
 */
export interface StormResult {
  clients: number;
  reconnected: number;
  failed: number;
  errors: string[];
  resumed: number;
  /** From the drop to the last response head. */
  allReconnectedMs: number;
  /** From the drop to the last connection's first event. */
  allResumedMs: number;
  resumeP50Ms: number;
  resumeP99Ms: number;
  /** Connections whose first event after the reconnect was not the one after Last-Event-ID. */
  firstSkippedAhead: number;
  firstRepeated: number;
  /** Every connection resumed before the time ran out. */
  complete: boolean;
}

export type GeneratorReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface GeneratorRequest {
  id: number;
  command: GeneratorCommand;
}
