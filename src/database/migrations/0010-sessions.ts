import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

/**
 * Login sessions, each renewed by its refresh cookie: only hashes of its secrets are kept, the
 * current one and the one it replaced (to tell two tabs refreshing at once from a stolen
 * cookie). Stream tickets name the session they were asked in, so that its end refuses them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { int64 } = columnTypes(db);
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('secret_hash', 'text', (col) => col.notNull())
    .addColumn('previous_hash', 'text')
    .addColumn('rotated_at', int64, (col) => col.notNull())
    .addColumn('created_at', int64, (col) => col.notNull())
    .addColumn('last_used_at', int64, (col) => col.notNull())
    .addColumn('expires_at', int64, (col) => col.notNull())
    .addColumn('revoked_at', int64)
    .addColumn('user_agent', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
  await db.schema.alterTable('stream_tickets').addColumn('session_id', 'text').execute();
}
