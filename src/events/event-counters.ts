import { Injectable } from '@nestjs/common';

/**
 * What one transport's streams did since the process started. Counted once per event, per
 * batch or per connection opened, never per frame written, so that counting costs nothing next
 * to delivering.
 */
export class StreamCounters {
  /** Events handed to connections: live ones (before any lag) and replayed ones. */
  delivered = 0;
  /** Events dropped from the queue of a connection that did not keep up. */
  skipped = 0;
  /** `lagged` notices: batches that began with some events skipped. */
  lagged = 0;
  /** Connections that opened with a resume point (`Last-Event-ID`, `lastEventId`). */
  resumes = 0;
  /** `resync` notices: a resume point the history no longer holds, or a gap in the ids. */
  resyncs = 0;
}

/**
 * The event system's counts, for whoever reports them (Reelay's /metrics): plain numbers that
 * the module's own code adds to and a reader takes when asked.
 */
@Injectable()
export class EventCounters {
  readonly sse = new StreamCounters();
  readonly socketio = new StreamCounters();
  private readonly publishedByType = new Map<string, number>();

  /** An event this process published, by type. */
  published(name: string): void {
    this.publishedByType.set(name, (this.publishedByType.get(name) ?? 0) + 1);
  }

  get publishedCounts(): ReadonlyMap<string, number> {
    return this.publishedByType;
  }
}
