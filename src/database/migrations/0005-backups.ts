import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backups')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    // Null for a server-wide backup.
    .addColumn('library_id', 'text', (col) => col.references('libraries.id').onDelete('cascade'))
    .addColumn('path', 'text', (col) => col.notNull())
    .addColumn('schedule', 'text')
    .addColumn('status', 'text', (col) =>
      col.notNull().check(sql`status in ('idle', 'inProgress', 'done', 'error')`),
    )
    .addColumn('added', 'integer', (col) => col.notNull())
    .addColumn('updated', 'integer', (col) => col.notNull())
    .addColumn('started', 'integer')
    .addColumn('finished', 'integer')
    .addColumn('archive', 'text')
    .addColumn('archive_size', 'integer')
    .addColumn('files', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('files_done', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('files_missing', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('bytes', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('bytes_done', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('backups_library_idx').on('backups').column('library_id').execute();
}
