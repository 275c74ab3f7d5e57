import type { Provider } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service.js';
import { EVENTS_OPTIONS, type EventsModuleOptions } from '../events.options.js';
import { EventIdCeiling } from './event-id-ceiling.js';
import { EventIdCeilingRepository } from './event-id-ceiling.repository.js';
import { EventStore } from './event-store.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { SqliteEventStore } from './sqlite-event-store.js';

/** Reelay's event log: in its database, on whichever engine holds it. */
export const DATABASE_EVENT_STORE: Provider = {
  provide: EventStore,
  inject: [DatabaseService, EVENTS_OPTIONS],
  useFactory: (database: DatabaseService, options: EventsModuleOptions): EventStore =>
    database.engine === 'postgres'
      ? new PostgresEventStore(database, options)
      : new SqliteEventStore(database, options),
};

/** Reelay's event id ceiling for the Redis bus: in its database, shared by every process. */
export const DATABASE_ID_CEILING: Provider = {
  provide: EventIdCeiling,
  useClass: EventIdCeilingRepository,
};
