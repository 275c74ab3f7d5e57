import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const { int64 } = columnTypes(db);
  await db.schema
    .createTable('medias')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('library_id', 'text', (col) =>
      col.notNull().references('libraries.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('path', 'text')
    .addColumn('mimetype', 'text', (col) => col.notNull())
    .addColumn('size', int64, (col) => col.notNull().defaultTo(0))
    .addColumn('modified', int64, (col) => col.notNull())
    .addColumn('added', int64, (col) => col.notNull())
    .addColumn('updated', int64, (col) => col.notNull())
    .addColumn('origin', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('duration_ms', int64)
    .addColumn('width', int64)
    .addColumn('height', int64)
    .execute();
  await db.schema
    .createIndex('medias_library_idx')
    .on('medias')
    .columns(['library_id', 'added'])
    .execute();
  await db.schema
    .createIndex('medias_path_idx')
    .on('medias')
    .columns(['library_id', 'path'])
    .unique()
    .execute();
}
