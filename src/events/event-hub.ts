import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { EVENT_CATALOG, type EventDefinition } from './event-catalog.js';
import { EventHistory, type ReplayResult } from './event-history.js';
import { wireForms } from './http-chunk.js';
import type { EventMap, EventName } from './events.types.js';
import { EventStore, type StoredEvent } from './log/event-store.js';
import type { EventVariant, PublishedEvent } from './published-event.js';

function buildVariant(name: EventName, id: number, data: string): EventVariant {
  return { data, ...wireForms(`event: ${name}\nid: ${id}\ndata: ${data}\n\n`) };
}

/** An event read back from the store, as the hub first published it. */
function restore(stored: StoredEvent): PublishedEvent | undefined {
  const definition = EVENT_CATALOG[stored.name] as EventDefinition<unknown> | undefined;
  if (!definition) return undefined;
  const full = buildVariant(stored.name, stored.id, stored.data);
  return {
    id: stored.id,
    name: stored.name,
    audience: definition.audience,
    library: stored.library ?? undefined,
    owner: stored.owner ?? undefined,
    full,
    forReaders:
      stored.readerData === null ? full : buildVariant(stored.name, stored.id, stored.readerData),
  };
}

/**
 * The one stream of events in the process. It stamps each event with a global, strictly
 * increasing id (reserved in the event store first, so none is ever issued twice), builds its
 * wire forms once, keeps it in a bounded history for resume, emits it on the shared Subject
 * that every transport listens to, and hands it to the store to outlive the process.
 */
@Injectable()
export class EventHub implements OnModuleInit {
  private readonly subject = new Subject<PublishedEvent>();
  private readonly history: EventHistory;
  private lastId = 0;

  readonly events$: Observable<PublishedEvent> = this.subject.asObservable();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly store: EventStore,
  ) {
    this.history = new EventHistory(config.sse.historySize);
  }

  /** Goes on from the stored log: ids above its last, its newest events ready for resume. */
  async onModuleInit(): Promise<void> {
    const { lastId, events } = await this.store.open();
    const newestFirst: PublishedEvent[] = [];
    for (const stored of events.toReversed()) {
      const event = restore(stored);
      // One the catalog no longer knows ends the history: only what follows it can be replayed.
      if (!event) break;
      newestFirst.push(event);
    }
    for (const event of newestFirst.toReversed()) this.history.add(event);
    this.lastId = lastId;
  }

  get lastEventId(): number {
    return this.lastId;
  }

  publish<N extends EventName>(name: N, message: EventMap[N]): PublishedEvent {
    const definition = EVENT_CATALOG[name] as EventDefinition<EventMap[N]>;
    const id = this.lastId + 1;
    this.store.reserveThrough(id);
    this.lastId = id;
    const full = buildVariant(name, id, JSON.stringify({ [definition.key]: message }));
    const readerMessage = definition.forReaders?.(message);
    const event: PublishedEvent = {
      id,
      name,
      audience: definition.audience,
      library: definition.library(message) ?? undefined,
      owner: definition.owner?.(message),
      full,
      forReaders:
        readerMessage === undefined
          ? full
          : buildVariant(name, id, JSON.stringify({ [definition.key]: readerMessage })),
    };
    this.history.add(event);
    this.store.append({
      id,
      name,
      data: full.data,
      readerData: event.forReaders === full ? null : event.forReaders.data,
      library: event.library ?? null,
      owner: event.owner ?? null,
    });
    this.subject.next(event);
    return event;
  }

  /** What a client that saw `lastEventId` missed, as far as the history still holds it. */
  replayAfter(lastEventId: number): ReplayResult {
    return this.history.after(lastEventId, this.lastId);
  }
}
