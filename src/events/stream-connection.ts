import type { LibraryFilter } from './audience.js';
import { BoundedQueue, type QueueLimits } from './bounded-queue.js';
import type { EventConnection } from './connection-registry.js';
import type { StreamPrincipal } from './events.ports.js';
import type { EventVariant, PublishedEvent } from './published-event.js';

/**
 * How a transport encodes what is sent: each frame built once and shared by every connection
 * that gets it.
 */
export interface FrameEncoder<F> {
  /** An event in one of its variants (at most one frame per event and variant). */
  readonly event: (event: PublishedEvent, variant: EventVariant) => F;
  /** `lagged`: this many frames were dropped before what follows. */
  readonly lagged: (skipped: number) => F;
  /** `resync`: events may have gone by unseen; the client reloads its state. */
  readonly resync: (reason: string) => F;
  /** What opens every stream (SSE's `retry:`); none when the transport needs nothing. */
  readonly opening: F | undefined;
  /**
   * What tells a client, before its stream ends, to come back after `delayMs` (SSE's `retry:`);
   * none when the transport's clients come back by themselves once their connection closes.
   */
  readonly reconnect: ((delayMs: number) => F) | undefined;
  /** What a silent connection gets to keep it alive; none when the transport pings by itself. */
  readonly keepalive: F | undefined;
  /** Bytes a frame takes, counted against a connection's queue bound. */
  readonly sizeOf: (frame: F) => number;
}

/**
 * One open stream, whichever transport carries it. Frames wait in a bounded queue and leave
 * together when StreamSupervisor flushes (at the end of the turn, or after its flush window);
 * while the transport holds what came before nothing more is written, and once the queue is over
 * its bound the oldest frames are dropped and counted, to be announced with `lagged`. So a client
 * that stops reading costs at most the queue's bound and what its transport holds.
 *
 * A transport supplies only how frames are written and how the stream ends.
 */
export abstract class StreamConnection<F> implements EventConnection {
  /** Made on the first frame that has to wait: most connections are idle most of the time. */
  private queue?: BoundedQueue<F>;
  private waitingForDrain = false;
  /** Set while the connection waits in the supervisor's list of connections to flush. */
  scheduled = false;
  lastWriteAt: number;

  constructor(
    protected readonly encoder: FrameEncoder<F>,
    readonly principal: StreamPrincipal,
    readonly filter: LibraryFilter,
    readonly expiresAt: number,
    /** The login session it was opened in, if any: the stream ends with it. */
    readonly sessionId: string | undefined,
    private readonly limits: QueueLimits,
    now: number,
  ) {
    this.lastWriteAt = now;
  }

  /**
   * Writes the frames, in this order, in one go where the transport can; false when the transport
   * holds some of them until it drains (it then calls the supervisor's `drained`).
   */
  protected abstract write(frames: readonly F[]): boolean;

  /** Whether the transport takes writes again, once it said it drained. */
  protected abstract get writable(): boolean;

  /** Ends the stream cleanly, after what was written. */
  protected abstract end(): void;

  /**
   * Ends the stream, after what was written, in the way that has its client come back by itself
   * (the server is going away; its client has done nothing wrong). `held`: the transport still
   * held what was written before the last frames, which may mean a client that stopped reading.
   */
  protected abstract endToReconnect(held: boolean): void;

  /** Cuts off a client that stopped reading: an end would wait behind what it never reads. */
  protected abstract destroy(): void;

  /** Ended or gone: nothing may be written any more. */
  abstract get ended(): boolean;

  /** Ended, and its last bytes taken by the operating system (or cut off). */
  abstract get flushed(): boolean;

  get pendingBytes(): number {
    return this.queue?.bytes ?? 0;
  }

  get pendingEvents(): number {
    return this.queue?.length ?? 0;
  }

  /** The transport took what it held; returns whether frames wait for a flush to be scheduled. */
  drained(): boolean {
    if (!this.writable) return false;
    this.waitingForDrain = false;
    return this.pendingEvents > 0 && !this.scheduled;
  }

  /** Queues a frame; returns whether the connection now needs a flush scheduled. */
  enqueue(frame: F): boolean {
    (this.queue ??= new BoundedQueue(this.limits, this.encoder.sizeOf)).push(frame);
    return !this.scheduled && !this.waitingForDrain;
  }

  /**
   * Writes everything queued, in one batch, unless the transport still holds what came before;
   * returns how many frames were skipped for lag before it (announced with `lagged`).
   */
  flush(now: number): number {
    this.scheduled = false;
    const queue = this.queue;
    if (this.waitingForDrain || queue === undefined || queue.length === 0 || this.ended) return 0;
    const { frames, skipped } = this.takeQueued();
    this.writeBatch(frames, now);
    return skipped;
  }

  /** Writes frames at once, outside the queue (a replay: the history is its bound). */
  writeAll(frames: readonly F[], now: number): void {
    if (frames.length > 0) this.writeBatch(frames, now);
  }

  /** Keeps a silent connection alive; a stalled one is not silent, only slow. */
  keepAlive(now: number): void {
    const { keepalive } = this.encoder;
    if (keepalive !== undefined && !this.waitingForDrain && this.pendingEvents === 0) {
      this.writeBatch([keepalive], now);
    }
  }

  /** Ends the stream; one whose client stopped reading is cut off instead. */
  close(): void {
    if (this.ended) return;
    if (this.waitingForDrain) this.destroy();
    else this.end();
  }

  /**
   * Ends the stream so that its client comes back later: what waits in the queue goes first, then
   * `reconnect`, the transport's notice of when to come back, if it has one, then the transport's
   * end for a client to come back.
   */
  closeToReconnect(reconnect: F | undefined, now: number): void {
    if (this.ended) return;
    const held = this.waitingForDrain;
    const frames = this.pendingEvents === 0 ? [] : this.takeQueued().frames;
    if (reconnect !== undefined) frames.push(reconnect);
    this.writeAll(frames, now);
    this.endToReconnect(held);
  }

  /** Everything queued, announced by `lagged` when older frames were dropped, and how many. */
  private takeQueued(): { frames: F[]; skipped: number } {
    const { items: frames, skipped } = (this.queue as BoundedQueue<F>).take();
    if (skipped > 0) frames.unshift(this.encoder.lagged(skipped));
    return { frames, skipped };
  }

  private writeBatch(frames: readonly F[], now: number): void {
    // Another write after the end would emit an 'error' that nothing handles.
    if (this.ended) return;
    this.lastWriteAt = now;
    if (!this.write(frames)) this.waitingForDrain = true;
  }
}
