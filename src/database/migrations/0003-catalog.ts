import type { Kysely, CreateTableBuilder } from 'kysely';
import { columnTypes } from './column-types.js';

/** The columns every catalog table shares: its id, its library and its name. */
function catalogTable(db: Kysely<unknown>, name: string): CreateTableBuilder<string> {
  const { int64 } = columnTypes(db);
  return db.schema
    .createTable(name)
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('library_id', 'text', (col) =>
      col.notNull().references('libraries.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('added', int64, (col) => col.notNull())
    .addColumn('updated', int64, (col) => col.notNull());
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const { int64 } = columnTypes(db);
  await catalogTable(db, 'series').addColumn('overview', 'text').addColumn('year', int64).execute();
  await catalogTable(db, 'episodes')
    .addColumn('serie_id', 'text', (col) =>
      col.notNull().references('series.id').onDelete('cascade'),
    )
    .addColumn('season', int64)
    .addColumn('number', int64)
    .addColumn('overview', 'text')
    // The episode outlives its file: losing the file unlinks it rather than erasing the metadata.
    .addColumn('media_id', 'text', (col) => col.references('medias.id').onDelete('set null'))
    .execute();
  await catalogTable(db, 'movies')
    .addColumn('overview', 'text')
    .addColumn('year', int64)
    .addColumn('media_id', 'text', (col) => col.references('medias.id').onDelete('set null'))
    .execute();
  await catalogTable(db, 'people').addColumn('overview', 'text').execute();
  await catalogTable(db, 'tags').execute();

  await Promise.all(
    ['series', 'movies', 'people', 'tags'].map((table) =>
      db.schema
        .createIndex(`${table}_library_idx`)
        .on(table)
        .columns(['library_id', 'name'])
        .execute(),
    ),
  );
  await db.schema
    .createIndex('tags_library_name_unique')
    .on('tags')
    .columns(['library_id', 'name'])
    .unique()
    .execute();
  await db.schema
    .createIndex('episodes_serie_idx')
    .on('episodes')
    .columns(['serie_id', 'season', 'number'])
    .execute();
  await db.schema.createIndex('episodes_library_idx').on('episodes').column('library_id').execute();
  await db.schema.createIndex('episodes_media_idx').on('episodes').column('media_id').execute();
  await db.schema.createIndex('movies_media_idx').on('movies').column('media_id').execute();
}
