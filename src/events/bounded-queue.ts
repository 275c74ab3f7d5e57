/** How much one connection may have waiting before its oldest frames are dropped. */
export interface QueueLimits {
  maxEvents: number;
  maxBytes: number;
}

/**
 * The frames waiting for one connection, whichever transport: bounded in frames and bytes. Once
 * over a bound the oldest are dropped (the newest always stays) and counted, for the transport
 * to announce with `lagged` before what follows. A client that stops reading costs at most the
 * bound.
 */
export class BoundedQueue<T> {
  private items: (T | undefined)[] = [];
  private start = 0;
  private queuedBytes = 0;
  private skipped = 0;

  constructor(
    private readonly limits: QueueLimits,
    private readonly sizeOf: (item: T) => number,
  ) {}

  get length(): number {
    return this.items.length - this.start;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  push(item: T): void {
    this.items.push(item);
    this.queuedBytes += this.sizeOf(item);
    const { maxEvents, maxBytes } = this.limits;
    while (this.length > 1 && (this.length > maxEvents || this.queuedBytes > maxBytes)) {
      this.queuedBytes -= this.sizeOf(this.items[this.start] as T);
      // The dropped frame's memory goes now, not when the queue next empties.
      this.items[this.start++] = undefined;
      this.skipped++;
    }
    // A client that never reads must not grow the array by one dead slot per event forever.
    if (this.start > maxEvents) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  /** Everything waiting, oldest first, and how many frames were dropped before it. */
  take(): { items: T[]; skipped: number } {
    const items = (this.start === 0 ? this.items : this.items.slice(this.start)) as T[];
    const skipped = this.skipped;
    this.items = [];
    this.start = 0;
    this.queuedBytes = 0;
    this.skipped = 0;
    return { items, skipped };
  }
}
