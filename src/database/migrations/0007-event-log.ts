import { type Kysely, sql } from 'kysely';
import { columnTypes } from './column-types.js';

/**
 * The embedded event log: the newest events (SSE_HISTORY_SIZE of them) in their wire form, and
 * the ids reserved and stored, so that ids never repeat across restarts and crashes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { int64 } = columnTypes(db);
  await db.schema
    .createTable('event_log')
    .addColumn('id', int64, (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('data', 'text', (col) => col.notNull())
    // Null when readers get the same data as the library's admins.
    .addColumn('reader_data', 'text')
    .addColumn('library', 'text')
    .addColumn('owner', 'text')
    .execute();
  await db.schema
    .createTable('event_log_state')
    .addColumn('id', int64, (col) => col.primaryKey().check(sql`id = 1`))
    .addColumn('reserved', int64, (col) => col.notNull())
    .addColumn('stored', int64, (col) => col.notNull())
    .execute();
  await sql`INSERT INTO event_log_state (id, reserved, stored) VALUES (1, 0, 0)`.execute(db);
}
