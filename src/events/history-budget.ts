/** The limits of the resume history: how many of the newest events, and how many bytes together. */
export interface HistoryLimits {
  maxEvents: number;
  maxBytes: number;
}

/**
 * What an event weighs in the history: its message as admins get it, and as readers do when that
 * differs. The hub and the event log weigh the same event alike.
 */
export function eventWeight(data: string, readerData: string | null): number {
  return Buffer.byteLength(data) + (readerData === null ? 0 : Buffer.byteLength(readerData));
}

/**
 * Which of the newest events fit in the history, the one decision that the hub's memory and the
 * event log's table both follow: at most `maxEvents` events, at most `maxBytes` of them together
 * (an event bigger than that on its own is not kept at all). Events come in id order.
 */
export class HistoryBudget {
  /** The sizes of the events kept, oldest first, from `start`. */
  private sizes: number[] = [];
  private start = 0;
  private bytes = 0;

  constructor(private readonly limits: HistoryLimits) {}

  get kept(): number {
    return this.sizes.length - this.start;
  }

  /** The bytes of the events kept. */
  get keptBytes(): number {
    return this.bytes;
  }

  /** Counts a new event of `size` bytes; returns how many of the events before it now go. */
  add(size: number): { dropped: number; keepsNew: boolean } {
    const before = this.kept;
    if (size > this.limits.maxBytes || this.limits.maxEvents === 0) {
      this.clear();
      return { dropped: before, keepsNew: false };
    }
    this.sizes.push(size);
    this.bytes += size;
    while (this.kept > this.limits.maxEvents || this.bytes > this.limits.maxBytes) {
      this.bytes -= this.sizes[this.start++];
    }
    // Dropped slots are given back now and then, not on every event.
    if (this.start > 1024 && this.start * 2 > this.sizes.length) {
      this.sizes = this.sizes.slice(this.start);
      this.start = 0;
    }
    return { dropped: before + 1 - this.kept, keepsNew: true };
  }

  clear(): void {
    this.sizes = [];
    this.start = 0;
    this.bytes = 0;
  }
}
