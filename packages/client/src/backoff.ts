export interface BackoffOptions {
  /** The first delay, until the server says otherwise with `retry:` (default 1 s). */
  initialDelayMs?: number;
  /** The longest delay (default 30 s). */
  maxDelayMs?: number;
}

/**
 * Delays between reconnection attempts: the server's `retry:` (or the initial delay) first, then
 * doubling up to the maximum, each drawn at random between half and all of it ("equal jitter"),
 * so that the clients of a restarted server do not all come back in the same instant.
 */
export class Backoff {
  private baseMs: number;
  private readonly maxMs: number;
  private attempt = 0;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.baseMs = options.initialDelayMs ?? 1000;
    this.maxMs = options.maxDelayMs ?? 30_000;
  }

  /** The server's `retry:`: the base of the delays from now on. */
  serverRetry(ms: number): void {
    this.baseMs = ms;
  }

  /** The delay before the next attempt; `atLeastMs` for a server's `Retry-After`. */
  next(atLeastMs = 0): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    const jittered = ceiling / 2 + (this.random() * ceiling) / 2;
    return Math.max(Math.round(jittered), atLeastMs);
  }

  /** A connection opened: the next failure starts from the base again. */
  reset(): void {
    this.attempt = 0;
  }
}
