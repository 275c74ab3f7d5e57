import type { EventsModuleOptions } from '../events.options.js';
import { EventHub } from '../event-hub.js';
import { EVENT_CATALOG, type EventMap, type EventName } from '../event-catalog.js';
import type { PublishedEvent } from '../published-event.js';
import { EventStore, type RestoredLog } from './event-store.js';
import { LocalEventBus } from './local-event-bus.js';

/**
 * A store that keeps nothing past the process: ids start at 1 and every event is forgotten.
 * For unit tests of the hub and of what listens to it, where no database is at hand.
 */
export class VolatileEventStore extends EventStore {
  open(): Promise<RestoredLog> {
    return Promise.resolve({ lastId: 0, events: [] });
  }

  reserveThrough(): undefined {
    return undefined;
  }

  append(): void {}
}

/**
 * For unit tests: a hub whose `publish` goes through the embedded bus on a volatile store, which
 * never holds an event back.
 */
export function publishingHub(options: EventsModuleOptions): EventHub & {
  publish<N extends EventName>(name: N, message: EventMap[N]): PublishedEvent;
} {
  const hub = new EventHub(options, EVENT_CATALOG);
  const bus = new LocalEventBus(hub, new VolatileEventStore());
  const publish = <N extends EventName>(name: N, message: EventMap[N]): PublishedEvent => {
    const event = bus.publish(name, message);
    if (!event) throw new Error('a volatile store never holds an event back');
    return event;
  };
  return Object.assign(hub, { publish });
}
