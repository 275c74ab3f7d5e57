/** What one attempt to open the stream asks for. */
export interface StreamRequest {
  /** The server's origin, e.g. `http://localhost:3000`; `''` for the page's own. */
  baseUrl: string;
  libraries?: readonly string[];
  /** Resume after this id: the server replays what came since, or sends `resync`. */
  lastEventId?: number;
  /** A bearer token; without one, the browser's `token` cookie authenticates. */
  token?: string;
}

/** How an attempt ended. */
export type StreamEnd =
  /** The server ended an open stream (its token expired, it shut down). */
  | { kind: 'ended' }
  /** The server answered with an error instead of a stream (401, 429, 503...). */
  | { kind: 'refused'; status: number; message: string; retryAfterMs?: number }
  /** The connection failed or broke. */
  | { kind: 'failed'; error: unknown };

/** What a transport reports about the one stream it opened; `end` comes exactly once. */
export interface StreamListener {
  open(): void;
  /** An event: its name, its parsed `data`, and its id (none for `lagged` and `resync`). */
  event(name: string, data: unknown, id: number | undefined): void;
  /** The reconnection delay the server asks for. */
  retry(ms: number): void;
  end(end: StreamEnd): void;
}

export interface OpenStream {
  /** Ends the stream from this side; the listener hears nothing more. */
  close(): void;
}

/**
 * How the client reaches the server's events: SSE over fetch (the default) or Socket.IO. A
 * transport opens one stream per call and never reconnects by itself: the client decides when,
 * and from which id, so that both transports resume, back off and refresh tokens alike.
 */
export interface StreamTransport {
  /** Tells transports apart where tabs share one stream. */
  readonly name: string;
  open(request: StreamRequest, listener: StreamListener): OpenStream;
}

/** `Retry-After` in milliseconds, when it is a number of seconds. */
export function retryAfterMs(header: string | null | undefined): number | undefined {
  if (header === null || header === undefined || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}
