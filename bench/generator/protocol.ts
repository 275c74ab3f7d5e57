/** The messages between the orchestrator and a load generator (over the child's IPC channel). */

export type Transport = 'sse' | 'socketio';

/** count: count frames; latency: also read each frame's send time. */
export type ClientMode = 'count' | 'latency';

export interface ConnectionSpec {
  /** `/sse?...` for SSE; the Socket.IO path for Socket.IO. */
  path: string;
  token?: string;
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
    }
  | { type: 'reset'; recordLatency: boolean }
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

export type GeneratorReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface GeneratorRequest {
  id: number;
  command: GeneratorCommand;
}
