import { Inject, Injectable } from '@nestjs/common';
import type { ConnectionStats } from './connection-registry.js';
import type { EventCatalog } from './event-catalog.js';
import { EventCounters } from './event-counters.js';
import { EventHub, type HistoryStats } from './event-hub.js';
import { EVENTS_CATALOG } from './events.options.js';
import { EventBus } from './log/event-bus.js';
import { SocketService } from './socket/socket.service.js';
import { SseService } from './sse/sse.service.js';

export type Transport = 'sse' | 'socketio';

export const TRANSPORTS: readonly Transport[] = ['sse', 'socketio'];

/**
 * The event system's figures, read when asked (a scrape, `GET /events/stats`): its counts, and
 * what its streams, history and bus hold now. Reading walks the open connections once per
 * transport, so it is for operators' pace, not for every event.
 */
@Injectable()
export class EventsTelemetry {
  constructor(
    readonly counters: EventCounters,
    private readonly hub: EventHub,
    private readonly sse: SseService,
    private readonly socketio: SocketService,
    private readonly bus: EventBus,
    @Inject(EVENTS_CATALOG) private readonly catalog: EventCatalog,
  ) {}

  /** Events this process published, for every type of the catalog (none yet: 0). */
  *publishedByType(): Iterable<[type: string, count: number]> {
    const published = this.counters.publishedCounts;
    for (const type of Object.keys(this.catalog)) yield [type, published.get(type) ?? 0];
  }

  get lastEventId(): number {
    return this.hub.lastEventId;
  }

  get history(): HistoryStats {
    return this.hub.historyStats;
  }

  streams(transport: Transport): ConnectionStats {
    return transport === 'sse' ? this.sse.stats : this.socketio.stats;
  }

  /** Events in the shared log (Redis) this process has not read yet; undefined without one. */
  busReadLag(): Promise<number | undefined> {
    return this.bus.readLag();
  }
}
