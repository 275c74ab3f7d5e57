import { Inject, Injectable } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import { EVENTS_CATALOG, EVENTS_OPTIONS, type EventsModuleOptions } from './events.options.js';
import type { EventCatalog } from './event-catalog.js';
import { EventHistory, type ReplayResult } from './event-history.js';
import { eventWeight } from './history-budget.js';
import { wireForms } from './http-chunk.js';
import type { EncodedEvent, RestoredLog, StoredEvent } from './log/event-store.js';
import type { EventVariant, PublishedEvent } from './published-event.js';

export interface HistoryStats {
  events: number;
  bytes: number;
}

function buildVariant(name: string, id: number, data: string): EventVariant {
  return { data, ...wireForms(`event: ${name}\nid: ${id}\ndata: ${data}\n\n`) };
}

/**
 * The process's delivery point. The event bus (log/) gives each event its global id; the hub
 * encodes messages once, builds each event's wire forms once, keeps the newest in a bounded
 * history for resume, and emits them on the shared Subject that every transport listens to.
 */
@Injectable()
export class EventHub {
  private readonly subject = new Subject<PublishedEvent>();
  private readonly gaps = new Subject<string>();
  private readonly history: EventHistory;
  private readonly historySize: number;
  private lastId = 0;

  readonly events$: Observable<PublishedEvent> = this.subject.asObservable();
  /**
   * Events may have gone by that this process never delivered: every open connection is told
   * to reload its state (`resync`), with this reason, before anything that follows.
   */
  readonly gaps$: Observable<string> = this.gaps.asObservable();

  constructor(
    @Inject(EVENTS_OPTIONS) config: EventsModuleOptions,
    @Inject(EVENTS_CATALOG) private readonly catalog: EventCatalog,
  ) {
    this.historySize = config.sse.historySize;
    this.history = new EventHistory({
      maxEvents: config.sse.historySize,
      maxBytes: config.sse.historyBytes,
    });
  }

  get lastEventId(): number {
    return this.lastId;
  }

  /** What the resume history holds now. */
  get historyStats(): HistoryStats {
    return { events: this.history.length, bytes: this.history.bytes };
  }

  /** The message as it goes out, to admins and to readers, and the facts its audience needs. */
  encode(name: string, message: unknown): EncodedEvent {
    const definition = this.catalog[name];
    if (definition === undefined) throw new Error(`no event type ${name} in the catalog`);
    const readerMessage = definition.forReaders?.(message);
    return {
      name,
      data: JSON.stringify({ [definition.key]: message }),
      readerData:
        readerMessage === undefined ? null : JSON.stringify({ [definition.key]: readerMessage }),
      library: definition.library(message) ?? null,
      owner: definition.owner?.(message) ?? null,
    };
  }

  /**
   * Delivers an event the bus gave its id. An id that does not follow the last one means events
   * may have gone by that this process never saw: open connections get `resync` first, and the
   * history starts again from it, so that resumes from before the gap get `resync` too.
   */
  deliver(stored: StoredEvent): PublishedEvent {
    const event = toPublished(stored, this.catalog);
    if (stored.id !== this.lastId + 1) {
      this.history.clear();
      this.announceGap(`events before ${stored.id} may have been missed; reload your state`);
    }
    this.lastId = stored.id;
    this.history.add(event);
    this.subject.next(event);
    return event;
  }

  /**
   * Goes on from a log read at start: ids above its last, its newest events ready for resume.
   * Only the run of consecutive ids that ends at the last one can be replayed, and an event the
   * catalog no longer knows ends it too.
   */
  restore({ lastId, events }: RestoredLog): void {
    const newestFirst: PublishedEvent[] = [];
    for (const stored of events.slice(-this.historySize).toReversed()) {
      if (stored.id !== lastId - newestFirst.length || !(stored.name in this.catalog)) break;
      newestFirst.push(toPublished(stored, this.catalog));
    }
    this.history.clear();
    for (const event of newestFirst.toReversed()) this.history.add(event);
    this.lastId = lastId;
  }

  /** Tells every open connection that events may have gone by unseen (see `gaps$`). */
  announceGap(reason: string): void {
    this.gaps.next(reason);
  }

  /** What a client that saw `lastEventId` missed, as far as the history still holds it. */
  replayAfter(lastEventId: number): ReplayResult {
    return this.history.after(lastEventId, this.lastId);
  }
}

function toPublished(stored: StoredEvent, catalog: EventCatalog): PublishedEvent {
  const full = buildVariant(stored.name, stored.id, stored.data);
  return {
    id: stored.id,
    name: stored.name,
    audience: catalog[stored.name].audience,
    library: stored.library ?? undefined,
    owner: stored.owner ?? undefined,
    full,
    forReaders:
      stored.readerData === null ? full : buildVariant(stored.name, stored.id, stored.readerData),
    weight: eventWeight(stored.data, stored.readerData),
  };
}
