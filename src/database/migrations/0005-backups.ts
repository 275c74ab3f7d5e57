import { type Kysely, sql } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const { int64 } = columnTypes(db);
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
    .addColumn('added', int64, (col) => col.notNull())
    .addColumn('updated', int64, (col) => col.notNull())
    .addColumn('started', int64)
    .addColumn('finished', int64)
    .addColumn('archive', 'text')
    .addColumn('archive_size', int64)
    .addColumn('files', int64, (col) => col.notNull().defaultTo(0))
    .addColumn('files_done', int64, (col) => col.notNull().defaultTo(0))
    .addColumn('files_missing', int64, (col) => col.notNull().defaultTo(0))
    .addColumn('bytes', int64, (col) => col.notNull().defaultTo(0))
    .addColumn('bytes_done', int64, (col) => col.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('backups_library_idx').on('backups').column('library_id').execute();
}
