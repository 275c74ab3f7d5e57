import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Every table a copy of the database holds (a backup, a restore), parents before the tables
 * whose foreign keys point at them, so that rows can be inserted in this order with the keys
 * enforced. All but `server_secrets`: a backup never holds the key tokens are signed with, and a
 * restored deployment makes its own; nor `stream_tickets`, which live for 30 seconds; nor
 * `sessions`, so that a restore never brings back a session that was ended since. A table added
 * to the schema goes here too (a unit test compares the list with the tables the migrations
 * create).
 */
export const COPIED_TABLES: readonly (keyof Database)[] = [
  'users',
  'libraries',
  'library_users',
  'medias',
  'series',
  'episodes',
  'movies',
  'people',
  'tags',
  'media_user_data',
  'backups',
  'backup_archives',
  'event_log',
  'event_log_state',
];

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const INSERT_ROWS = 500;

/** Counts the rows the application keeps, the event log's state row aside (migrations add it). */
export async function countRows(db: Kysely<Database>): Promise<number> {
  let total = 0;
  for (const table of COPIED_TABLES) {
    if (table === 'event_log_state') continue;
    // oxlint-disable-next-line no-await-in-loop -- one table after another, on one connection
    const { count } = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    total += count;
  }
  return total;
}

/**
 * Copies every row of `source` into `target`, whose schema is the same and whose tables are
 * empty but for the event log's state row, which takes the source's. Each table is read whole:
 * run it inside a transaction of `source` for a consistent copy.
 */
export async function copyRows(source: Kysely<Database>, target: Kysely<Database>): Promise<void> {
  for (const table of COPIED_TABLES) {
    // oxlint-disable-next-line no-await-in-loop -- parents first, one table after another
    const rows = await source.selectFrom(table).selectAll().execute();
    if (table === 'event_log_state') {
      // oxlint-disable-next-line no-await-in-loop -- in key order
      await target.deleteFrom('event_log_state').execute();
    }
    for (let start = 0; start < rows.length; start += INSERT_ROWS) {
      // oxlint-disable-next-line no-await-in-loop -- in key order, within one transaction
      await target
        .insertInto(table)
        .values(rows.slice(start, start + INSERT_ROWS))
        .execute();
    }
  }
}
