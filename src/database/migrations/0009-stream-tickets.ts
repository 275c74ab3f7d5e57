import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

/**
 * Single-use stream tickets (POST /auth/stream-ticket), kept where every process of a deployment
 * can redeem them: only a hash of each, for 30 seconds.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { int64 } = columnTypes(db);
  await db.schema
    .createTable('stream_tickets')
    .addColumn('hash', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('expires_at', int64, (col) => col.notNull())
    .addColumn('token_expires_at', int64, (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('stream_tickets_expires_at')
    .on('stream_tickets')
    .column('expires_at')
    .execute();
}
