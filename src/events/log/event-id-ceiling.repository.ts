import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { DatabaseService } from '../../database/database.service.js';
import { EventIdCeiling } from './event-id-ceiling.js';

/**
 * Reelay's event id ceiling (see EventIdCeiling), in the database (`event_log_state.reserved`):
 * shared by every process on the database.
 */
@Injectable()
export class EventIdCeilingRepository extends EventIdCeiling {
  constructor(private readonly database: DatabaseService) {
    super();
  }

  async current(): Promise<number> {
    const row = await this.database.db
      .selectFrom('event_log_state')
      .select('reserved')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return row.reserved;
  }

  async raise(atLeast: number): Promise<number> {
    const row = await this.database.db
      .updateTable('event_log_state')
      // Not max() or greatest(): each engine has only one of them.
      .set({
        reserved: sql<number>`CASE WHEN reserved > ${atLeast} THEN reserved ELSE ${atLeast} END`,
      })
      .where('id', '=', 1)
      .returning('reserved')
      .executeTakeFirstOrThrow();
    return row.reserved;
  }
}
