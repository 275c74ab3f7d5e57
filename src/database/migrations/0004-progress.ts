import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const { int64, float64 } = columnTypes(db);
  // One row per user and media; each value has its own time, as each has its own event.
  await db.schema
    .createTable('media_user_data')
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('media_id', 'text', (col) =>
      col.notNull().references('medias.id').onDelete('cascade'),
    )
    .addColumn('progress', int64)
    .addColumn('progress_modified', int64)
    .addColumn('rating', float64)
    .addColumn('rating_modified', int64)
    .addPrimaryKeyConstraint('media_user_data_pk', ['user_id', 'media_id'])
    .execute();
  await db.schema
    .createIndex('media_user_data_media_idx')
    .on('media_user_data')
    .column('media_id')
    .execute();
}
