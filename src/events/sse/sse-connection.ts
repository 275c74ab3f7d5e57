import type { Socket } from 'node:net';
import type { Principal } from '../../access/principal.js';
import type { LibraryFilter } from '../audience.js';
import type { WireForms } from '../http-chunk.js';
import { laggedNotice, PING } from './sse-frames.js';

export interface QueueLimits {
  maxEvents: number;
  maxBytes: number;
}

/**
 * One open `GET /sse` stream. Once its headers are out, the response body is a plain byte
 * stream on the socket: each frame goes there as a prebuilt buffer (as an HTTP/1.1 chunk when
 * the response is chunked), which spares every delivery Node's per-write response handling. Frames
 * wait in a bounded queue and leave together, once per event-loop turn; while the socket is
 * backed up nothing more is written, and once the queue is over its bound the oldest frames are
 * dropped and counted, to be announced by a `lagged` frame.
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

  /**
   * @param chunked whether frames must go out as HTTP/1.1 chunks, as Node decided when it sent
   * the headers
   */
  constructor(
    private readonly socket: Socket,
    private readonly chunked: boolean,
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

  /** Called on the socket's `drain`: it took what it had; returns whether frames wait. */
  drained(): boolean {
    this.waitingForDrain = false;
    return this.pendingEvents > 0 && !this.scheduled;
  }

  /** Queues a frame; returns whether the connection now needs a flush scheduled. */
  enqueue(forms: WireForms): boolean {
    const bytes = this.wire(forms);
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
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

  /** Writes everything queued, in one batch, unless the socket still has not drained. */
  flush(now: number): void {
    this.scheduled = false;
    if (this.waitingForDrain || this.pendingEvents === 0 || this.ended) return;
    const frames = this.queueStart === 0 ? this.queue : this.queue.slice(this.queueStart);
    this.queue = [];
    this.queueStart = 0;
    this.queuedBytes = 0;
    if (this.skipped > 0) {
      frames.unshift(this.wire(laggedNotice(this.skipped)));
      this.skipped = 0;
    }
    this.writeBatch(frames, now);
  }

  /** Writes frames at once, outside the queue (a replay: the history is its bound). */
  writeAll(frames: readonly WireForms[], now: number): void {
    if (frames.length > 0)
      this.writeBatch(
        frames.map((forms) => this.wire(forms)),
        now,
      );
  }

  /** `:ping` for a connection that has been silent; a stalled one is not silent, only slow. */
  ping(now: number): void {
    if (!this.waitingForDrain && this.pendingEvents === 0) this.write(this.wire(PING), now);
  }

  /**
   * Ends the stream. One whose client stopped reading would never finish ending, and would keep
   * its socket and queue: it is cut off instead.
   */
  close(): void {
    if (this.ended) return;
    if (this.waitingForDrain) {
      this.socket.destroy();
      return;
    }
    if (this.chunked) this.socket.write(LAST_CHUNK);
    this.socket.end();
  }

  /** Ended (token expired, user deleted) or gone: nothing may be written any more. */
  private get ended(): boolean {
    return this.socket.writableEnded || this.socket.destroyed;
  }

  private wire(forms: WireForms): Buffer {
    return this.chunked ? forms.chunk : forms.frame;
  }

  private writeBatch(frames: readonly Buffer[], now: number): void {
    if (frames.length === 1) {
      this.write(frames[0], now);
      return;
    }
    // Corked, the batch leaves in one writev, each frame as it is, without a copy.
    this.socket.cork();
    for (const frame of frames) this.write(frame, now);
    this.socket.uncork();
  }

  private write(bytes: Buffer, now: number): void {
    // Another write after the end would emit an 'error' that nothing handles.
    if (this.ended) return;
    this.lastWriteAt = now;
    if (!this.socket.write(bytes)) this.waitingForDrain = true;
  }
}

const EMPTY = Buffer.alloc(0);
/** The chunk that ends a chunked body (with no trailers). */
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
