import type { AppConfig } from '../../config/app-config.js';
import { EventHub } from '../event-hub.js';
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

  reserveThrough(): void {}

  append(): void {}
}

/** For unit tests: a hub whose `publish` goes through the embedded bus on a volatile store. */
export function publishingHub(config: AppConfig): EventHub & Pick<LocalEventBus, 'publish'> {
  const hub = new EventHub(config);
  const bus = new LocalEventBus(hub, new VolatileEventStore());
  return Object.assign(hub, { publish: bus.publish.bind(bus) });
}
