import type { StreamPrincipal } from '../events.ports.js';
import type { LibraryFilter } from '../audience.js';
import type { QueueLimits } from '../bounded-queue.js';
import type { WireForms } from '../http-chunk.js';
import { type FrameEncoder, StreamConnection } from '../stream-connection.js';
import { laggedNotice, PING, resyncNotice, retryFrame } from './sse-frames.js';
import type { StreamSink } from './stream-sink.js';

/**
 * SSE frames: an event's variant is its frame already, built once by the hub. A stream opens
 * with `retry:`, a silent one gets `:ping`, and one the server sends away a `retry:` of its own
 * before its end (EventSource waits that long before it reconnects).
 */
export function sseEncoder(retry: WireForms): FrameEncoder<WireForms> {
  return {
    event: (_event, variant) => variant,
    lagged: laggedNotice,
    resync: resyncNotice,
    opening: retry,
    reconnect: retryFrame,
    keepalive: PING,
    sizeOf: (forms) => forms.frame.length,
  };
}

/**
 * One open `GET /sse` stream: each frame a prebuilt buffer shared by every connection, written
 * to the stream's sink (its handed-over socket, or its response), a batch in one write.
 */
export class SseConnection extends StreamConnection<WireForms> {
  constructor(
    private readonly sink: StreamSink,
    encoder: FrameEncoder<WireForms>,
    principal: StreamPrincipal,
    filter: LibraryFilter,
    expiresAt: number,
    sessionId: string | undefined,
    limits: QueueLimits,
    now: number,
  ) {
    super(encoder, principal, filter, expiresAt, sessionId, limits, now);
  }

  protected write(frames: readonly WireForms[]): boolean {
    return this.sink.write(frames);
  }

  /** The sink said it drained: it takes writes again. */
  protected get writable(): boolean {
    return true;
  }

  protected end(): void {
    this.sink.end();
  }

  /**
   * The clean end, after which EventSource waits its `retry:` and reconnects. A client that
   * stopped reading is cut off instead, as `close` does: an end would wait behind what it never
   * reads, and keep the server from closing; it reconnects as after a network error.
   */
  protected endToReconnect(held: boolean): void {
    if (held) this.sink.destroy();
    else this.sink.end();
  }

  protected destroy(): void {
    this.sink.destroy();
  }

  get ended(): boolean {
    return this.sink.ended;
  }

  get flushed(): boolean {
    return this.sink.flushed;
  }
}
