import type { Kysely } from 'kysely';

/**
 * Secrets every process of a deployment must share, by name: on PostgreSQL, the key tokens are
 * signed with (on SQLite it stays in DATA_DIR, on the one machine that holds the file).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('server_secrets')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('value', 'text', (col) => col.notNull())
    .execute();
}
