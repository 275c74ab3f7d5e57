import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('medias')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('library_id', 'text', (col) =>
      col.notNull().references('libraries.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('path', 'text')
    .addColumn('mimetype', 'text', (col) => col.notNull())
    .addColumn('size', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('modified', 'integer', (col) => col.notNull())
    .addColumn('added', 'integer', (col) => col.notNull())
    .addColumn('updated', 'integer', (col) => col.notNull())
    .addColumn('origin', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('duration_ms', 'integer')
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
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
