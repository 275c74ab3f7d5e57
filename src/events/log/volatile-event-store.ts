import { EventStore, type RestoredLog } from './event-store.js';

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
