import type { StreamPrincipal } from '../events.ports.js';
import type { LibraryFilter } from '../audience.js';
import { BoundedQueue, type QueueLimits } from '../bounded-queue.js';
import type { WireForms } from '../http-chunk.js';
import { laggedNotice, PING } from './sse-frames.js';
import type { StreamSink } from './stream-sink.js';

/**
 * One open `GET /sse` stream. Each frame is a prebuilt buffer shared by every connection, written
 * to the stream's sink (its handed-over socket, or its response). Frames wait in a bounded queue
 * and leave together, once per event-loop turn; while the client is backed up nothing more is
 * written, and once the queue is over its bound the oldest frames are dropped and counted, to be
 * announced by a `lagged` frame.
 */
export class SseConnection {
  private readonly queue: BoundedQueue<WireForms>;
  private waitingForDrain = false;
  /** Set while the connection waits in the broadcaster's list of connections to flush. */
  scheduled = false;
  lastWriteAt: number;

  constructor(
    private readonly sink: StreamSink,
    readonly principal: StreamPrincipal,
    readonly filter: LibraryFilter,
    readonly expiresAt: number,
    limits: QueueLimits,
    now: number,
  ) {
    this.queue = new BoundedQueue(limits, (forms) => forms.frame.length);
    this.lastWriteAt = now;
  }

  get pendingBytes(): number {
    return this.queue.bytes;
  }

  get pendingEvents(): number {
    return this.queue.length;
  }

  /** Called when the client took what it had; returns whether frames wait. */
  drained(): boolean {
    this.waitingForDrain = false;
    return this.pendingEvents > 0 && !this.scheduled;
  }

  /** Queues a frame; returns whether the connection now needs a flush scheduled. */
  enqueue(forms: WireForms): boolean {
    this.queue.push(forms);
    return !this.scheduled && !this.waitingForDrain;
  }

  /** Writes everything queued, in one batch, unless the socket still has not drained. */
  flush(now: number): void {
    this.scheduled = false;
    if (this.waitingForDrain || this.pendingEvents === 0 || this.sink.ended) return;
    const { items: frames, skipped } = this.queue.take();
    if (skipped > 0) frames.unshift(laggedNotice(skipped));
    this.writeBatch(frames, now);
  }

  /** Writes frames at once, outside the queue (a replay: the history is its bound). */
  writeAll(frames: readonly WireForms[], now: number): void {
    if (frames.length > 0) this.writeBatch(frames, now);
  }

  /** `:ping` for a connection that has been silent; a stalled one is not silent, only slow. */
  ping(now: number): void {
    if (!this.waitingForDrain && this.pendingEvents === 0) this.writeBatch([PING], now);
  }

  /**
   * Ends the stream. One whose client stopped reading would never finish ending, and would keep
   * its socket and queue: it is cut off instead.
   */
  close(): void {
    if (this.sink.ended) return;
    if (this.waitingForDrain) this.sink.destroy();
    else this.sink.end();
  }

  /** Ended, and its last bytes taken by the operating system (or cut off). */
  get flushed(): boolean {
    return this.sink.flushed;
  }

  private writeBatch(frames: readonly WireForms[], now: number): void {
    // Another write after the end would emit an 'error' that nothing handles.
    if (this.sink.ended) return;
    this.lastWriteAt = now;
    if (!this.sink.write(frames)) this.waitingForDrain = true;
  }
}
