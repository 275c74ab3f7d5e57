import { Inject, Injectable } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { EVENT_CATALOG, type EventDefinition } from './event-catalog.js';
import { EventHistory, type ReplayResult } from './event-history.js';
import { wireForms } from './http-chunk.js';
import type { EventMap, EventName } from './events.types.js';
import type { EventVariant, PublishedEvent } from './published-event.js';

function buildVariant(name: EventName, id: number, key: string, message: unknown): EventVariant {
  const data = JSON.stringify({ [key]: message });
  return { data, ...wireForms(`event: ${name}\nid: ${id}\ndata: ${data}\n\n`) };
}

/**
 * The one stream of events in the process. It stamps each event with a global, strictly
 * increasing id, builds its wire forms once, keeps it in a bounded history for resume, and
 * emits it on the shared Subject that every transport listens to.
 */
@Injectable()
export class EventHub {
  private readonly subject = new Subject<PublishedEvent>();
  private readonly history: EventHistory;
  private lastId = 0;

  readonly events$: Observable<PublishedEvent> = this.subject.asObservable();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.history = new EventHistory(config.sse.historySize);
  }

  get lastEventId(): number {
    return this.lastId;
  }

  publish<N extends EventName>(name: N, message: EventMap[N]): PublishedEvent {
    const definition = EVENT_CATALOG[name] as EventDefinition<EventMap[N]>;
    const id = ++this.lastId;
    const full = buildVariant(name, id, definition.key, message);
    const readerMessage = definition.forReaders?.(message);
    const event: PublishedEvent = {
      id,
      name,
      audience: definition.audience,
      library: definition.library(message) ?? undefined,
      owner: definition.owner?.(message),
      full,
      forReaders:
        readerMessage === undefined ? full : buildVariant(name, id, definition.key, readerMessage),
    };
    this.history.add(event);
    this.subject.next(event);
    return event;
  }

  /** What a client that saw `lastEventId` missed, as far as the history still holds it. */
  replayAfter(lastEventId: number): ReplayResult {
    return this.history.after(lastEventId, this.lastId);
  }
}
