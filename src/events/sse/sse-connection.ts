import type { ServerResponse } from 'node:http';
import type { Principal } from '../../access/principal.js';
import type { LibraryFilter } from '../audience.js';
import { laggedFrame, PING_FRAME } from './sse-frames.js';

export interface QueueLimits {
  maxEvents: number;
  maxBytes: number;
}

/**
 * One open `GET /sse` stream. Frames wait in a bounded queue and leave in one write per flush;
 * while the socket is backed up nothing more is written, and once the queue is over its bound
 * the oldest frames are dropped and counted, to be announced by a `lagged` frame.
 */
export class SseConnection {
  private queue: Buffer[] = [];
  private queueStart = 0;
  private queuedBytes = 0;
  private skipped = 0;
  private waitingForDrain = false;
  /** Set while the connection waits in the broadcaster's list of connections to flush. */
  scheduled = false;
  lastWriteAt: number;

  constructor(
    readonly response: ServerResponse,
    readonly principal: Principal,
    readonly filter: LibraryFilter,
    readonly expiresAt: number,
    private readonly limits: QueueLimits,
    now: number,
  ) {
    this.lastWriteAt = now;
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  get pendingEvents(): number {
    return this.queue.length - this.queueStart;
  }

  /** Queues a frame; returns whether the connection now needs a flush scheduled. */
  enqueue(frame: Buffer): boolean {
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    const { maxEvents, maxBytes } = this.limits;
    while (
      this.pendingEvents > 1 &&
      (this.pendingEvents > maxEvents || this.queuedBytes > maxBytes)
    ) {
      this.queuedBytes -= this.queue[this.queueStart].length;
      this.queue[this.queueStart++] = EMPTY;
      this.skipped++;
    }
    // A client that never reads must not grow the array by one dead slot per event forever.
    if (this.queueStart > maxEvents) {
      this.queue = this.queue.slice(this.queueStart);
      this.queueStart = 0;
    }
    return !this.scheduled && !this.waitingForDrain;
  }

  /** Writes everything queued as one chunk, unless the socket still has not drained. */
  flush(now: number): void {
    this.scheduled = false;
    if (this.waitingForDrain || this.pendingEvents === 0 || this.response.destroyed) return;
    const frames = this.queueStart === 0 ? this.queue : this.queue.slice(this.queueStart);
    if (this.skipped > 0) {
      frames.unshift(laggedFrame(this.skipped));
      this.skipped = 0;
    }
    const chunk = frames.length === 1 ? frames[0] : Buffer.concat(frames);
    this.queue = [];
    this.queueStart = 0;
    this.queuedBytes = 0;
    this.write(chunk, now);
  }

  /** Writes frames at once, outside the queue, each as it is (the history's own buffers). */
  writeAll(frames: readonly Buffer[], now: number): void {
    if (frames.length === 0) return;
    this.response.cork();
    for (const frame of frames) this.write(frame, now);
    this.response.uncork();
  }

  /** `:ping` for a connection that has been silent; a stalled one is not silent, only slow. */
  ping(now: number): void {
    if (!this.waitingForDrain && this.pendingEvents === 0) this.write(PING_FRAME, now);
  }

  /** Called on `drain`: the socket took what it had; returns whether frames wait. */
  drained(): boolean {
    this.waitingForDrain = false;
    return this.pendingEvents > 0 && !this.scheduled;
  }

  /**
   * Ends the stream. One whose client stopped reading would never finish ending, and would keep
   * its socket and queue: it is cut off instead.
   */
  close(): void {
    if (this.waitingForDrain) this.response.destroy();
    else this.response.end();
  }

  private write(chunk: Buffer, now: number): void {
    // Ended (token expired, user deleted) but not closed while the socket still holds bytes:
    // another write would emit an 'error' that nothing handles, and the process would exit.
    if (this.response.writableEnded) return;
    this.lastWriteAt = now;
    if (!this.response.write(chunk)) this.waitingForDrain = true;
  }
}

const EMPTY = Buffer.alloc(0);
