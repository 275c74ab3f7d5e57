import { Injectable, type MessageEvent } from '@nestjs/common';
import { concat, filter, map, merge, type Observable, of, takeWhile } from 'rxjs';
import {
  canReceive,
  type LibraryFilter,
  missedEvents,
  passesLibraryFilter,
  receiverIsLibraryAdmin,
  variantFor,
} from './audience.js';
import { EventHub } from './event-hub.js';
import type { StreamPrincipal } from './events.ports.js';
import type { ResyncEvent } from './events.types.js';
import type { EventVariant, PublishedEvent } from './published-event.js';

export interface ObserveOptions {
  /** Library events of these libraries only; events without a library always pass. */
  libraries?: Iterable<string>;
  /** Resume after this id: what was missed first, or `resync` when the history lost it. */
  lastEventId?: number;
}

function messageOf(event: PublishedEvent, variant: EventVariant): MessageEvent {
  // The message as the hub encoded it once: Nest writes a string `data` as it is.
  return { type: event.name, id: String(event.id), data: variant.data };
}

function resyncMessage(reason: string): MessageEvent {
  const data: ResyncEvent = { Resync: { reason } };
  return { type: 'resync', data: JSON.stringify(data) };
}

/**
 * The events as an Observable of Nest's MessageEvent, for a host that serves them with its own
 * `@Sse()` route: `return this.streams.observe(principal, options)`. The same events, ids and
 * data as `GET /sse` and under the same rules, from the same hub; what Nest's pipeline adds per
 * message is the host's choice (README and docs/architecture.md say what it costs).
 */
@Injectable()
export class EventStreams {
  constructor(private readonly hub: EventHub) {}

  observe(principal: StreamPrincipal, options: ObserveOptions = {}): Observable<MessageEvent> {
    const libraryFilter: LibraryFilter =
      options.libraries === undefined ? null : new Set(options.libraries);
    const missed =
      options.lastEventId === undefined
        ? []
        : this.missedSince(principal, options.lastEventId, libraryFilter);
    const live = this.hub.events$.pipe(
      filter(
        (event) =>
          passesLibraryFilter(libraryFilter, event.library) && canReceive(principal, event),
      ),
      map((event) => messageOf(event, variantFor(event, receiverIsLibraryAdmin(principal, event)))),
    );
    const gaps = this.hub.gaps$.pipe(map(resyncMessage));
    return concat(of(...missed), merge(live, gaps)).pipe(takeWhile(() => principal.active));
  }

  private missedSince(
    principal: StreamPrincipal,
    lastEventId: number,
    libraryFilter: LibraryFilter,
  ): MessageEvent[] {
    const missed = missedEvents(
      this.hub.replayAfter(lastEventId),
      lastEventId,
      principal,
      libraryFilter,
    );
    const messages = missed.events.map(({ event, variant }) => messageOf(event, variant));
    return missed.resyncReason === undefined
      ? messages
      : [resyncMessage(missed.resyncReason), ...messages];
  }
}
