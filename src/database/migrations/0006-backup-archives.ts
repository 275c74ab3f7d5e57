import { type Kysely, sql } from 'kysely';
import { columnTypes } from './column-types.js';

/** Every archive a backup keeps, so retention can prune the oldest; and the backup's own limit. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { int64 } = columnTypes(db);
  // Null: the server's BACKUP_KEEP.
  await db.schema.alterTable('backups').addColumn('keep', int64).execute();
  await db.schema
    .createTable('backup_archives')
    .addColumn('backup_id', 'text', (col) =>
      col.notNull().references('backups.id').onDelete('cascade'),
    )
    // Relative to the backup directory.
    .addColumn('path', 'text', (col) => col.notNull())
    .addColumn('size', int64, (col) => col.notNull())
    .addColumn('started', int64, (col) => col.notNull())
    .addColumn('finished', int64, (col) => col.notNull())
    .addPrimaryKeyConstraint('backup_archives_pk', ['backup_id', 'path'])
    .execute();
  await db.schema
    .createIndex('backup_archives_started_idx')
    .on('backup_archives')
    .columns(['backup_id', 'started'])
    .execute();
  // Until now only the last archive was recorded: it is the first one retention knows of.
  await sql`
    INSERT INTO backup_archives (backup_id, path, size, started, finished)
    SELECT id, archive, coalesce(archive_size, 0), coalesce(started, finished, updated),
           coalesce(finished, updated)
    FROM backups WHERE archive IS NOT NULL`.execute(db);
}
