export interface ThrottlePolicy {
  /** Failures allowed before any wait. */
  freeFailures: number;
  /** The wait after the first failure past the free ones; it doubles with each further one. */
  firstDelayMs: number;
  /** The longest wait: nobody is locked out for longer than this after their last failure. */
  maxDelayMs: number;
  /** A key with no failure for this long starts afresh. */
  forgetAfterMs: number;
  /** Keys kept at most; the least recently failed are forgotten first. */
  maxKeys: number;
}

interface Failures {
  count: number;
  lastAt: number;
}

/** Counts failures per key (a username, an address) and says how long a key must wait. */
export class FailureThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly policy: ThrottlePolicy) {}

  /** How long `key` must still wait before its next attempt: 0 when it may try now. */
  waitMs(key: string, now: number): number {
    const entry = this.failures.get(key);
    if (entry === undefined) return 0;
    const { freeFailures, firstDelayMs, maxDelayMs, forgetAfterMs } = this.policy;
    if (now - entry.lastAt >= forgetAfterMs) {
      this.failures.delete(key);
      return 0;
    }
    if (entry.count < freeFailures) return 0;
    const delay = Math.min(firstDelayMs * 2 ** (entry.count - freeFailures), maxDelayMs);
    return Math.max(0, entry.lastAt + delay - now);
  }

  failed(key: string, now: number): void {
    const entry = this.failures.get(key);
    // Re-inserted, so that the map's order is the order of last failure.
    this.failures.delete(key);
    this.failures.set(key, { count: (entry?.count ?? 0) + 1, lastAt: now });
    if (this.failures.size > this.policy.maxKeys) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  /** Clears the key: its last attempt succeeded. */
  succeeded(key: string): void {
    this.failures.delete(key);
  }

  /** Takes back one failure counted ahead of an attempt that succeeded. */
  forgiveOne(key: string): void {
    const entry = this.failures.get(key);
    if (entry === undefined) return;
    if (entry.count <= 1) this.failures.delete(key);
    else entry.count -= 1;
  }
}
