import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { DatabaseService } from '../../database/database.service.js';

/**
 * The highest id the Redis bus may have issued, kept in the database (`event_log_state.reserved`)
 * so that a Redis that lost its data is seeded above it and never issues an id twice. Shared by
 * every process on the database; it only ever rises.
 */
@Injectable()
export class EventIdCeilingRepository {
  constructor(private readonly database: DatabaseService) {}

  async current(): Promise<number> {
    const row = await this.database.db
      .selectFrom('event_log_state')
      .select('reserved')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return row.reserved;
  }

  /** Raises the ceiling to at least `atLeast`; returns it as it now stands. */
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
