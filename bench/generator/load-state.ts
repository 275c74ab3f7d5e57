import { wallClockMs } from '../reelay/bench-payload.js';
import { SampleBuffer } from '../lib/stats.js';
import type { Counts } from './protocol.js';

interface Waiter {
  expected: number;
  done: () => void;
}

/** The generator's counters, shared by every client; callbacks fire when a target is reached. */
export class LoadState {
  received = 0;
  skipped = 0;
  open = 0;
  lost = 0;
  recordLatency = false;
  recordingSince = 0;
  readonly latencies = new SampleBuffer(1 << 20);
  private waiter?: Waiter;

  counts(): Counts {
    return { received: this.received, skipped: this.skipped, open: this.open, lost: this.lost };
  }

  reset(recordLatency: boolean): void {
    this.received = 0;
    this.skipped = 0;
    this.latencies.clear();
    this.recordLatency = recordLatency;
    this.recordingSince = performance.now();
  }

  addFrames(frames: number): void {
    this.received += frames;
    this.check();
  }

  addSkipped(skipped: number): void {
    this.skipped += skipped;
    this.check();
  }

  /** A send time read from a frame that arrived at `receivedAt` (see wallClockMs). */
  addSentAt(sentAt: number, receivedAt: number): void {
    if (this.recordLatency) this.latencies.push(receivedAt - sentAt);
  }

  now(): number {
    return wallClockMs();
  }

  /** Resolves once received + skipped reaches `expected`. */
  waitFor(expected: number, done: () => void): void {
    this.waiter = { expected, done };
    this.check();
  }

  cancelWait(): void {
    this.waiter = undefined;
  }

  private check(): void {
    const waiter = this.waiter;
    if (waiter !== undefined && this.received + this.skipped >= waiter.expected) {
      this.waiter = undefined;
      waiter.done();
    }
  }
}
