import SqliteDatabase from 'better-sqlite3';
import { Kysely, type Migration, Migrator, SqliteDialect } from 'kysely';
import type { Database } from '../schema.js';
import { MIGRATIONS } from './index.js';

const migrateUpTo = async (db: Kysely<Database>, last: string) => {
  const migrations: Record<string, Migration> = Object.fromEntries(
    Object.entries(MIGRATIONS).filter(([name]) => name <= last),
  );
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  }).migrateToLatest();
  if (error) throw error;
};

describe('migration 0006-backup-archives', () => {
  it('records the last archive of each backup, so retention knows of it', async () => {
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }),
    });
    try {
      await migrateUpTo(db, '0005-backups');
      const backup = {
        name: 'Nightly',
        library_id: null,
        path: 'nightly',
        schedule: null,
        status: 'done' as const,
        added: 1000,
        updated: 5000,
      };
      await db
        .insertInto('backups')
        .values([
          {
            ...backup,
            id: 'ran',
            started: 2000,
            finished: 3000,
            archive: 'nightly/a.tar',
            archive_size: 42,
          },
          { ...backup, id: 'never-ran', status: 'idle' },
          // Rows of the table as 0005 left it, which Database (the latest shape) does not describe.
        ] as never)
        .execute();

      await migrateUpTo(db, '0006-backup-archives');

      expect(await db.selectFrom('backup_archives').selectAll().execute()).toEqual([
        { backup_id: 'ran', path: 'nightly/a.tar', size: 42, started: 2000, finished: 3000 },
      ]);
      const keeps = await db.selectFrom('backups').select(['id', 'keep']).orderBy('id').execute();
      expect(keeps).toEqual([
        { id: 'never-ran', keep: null },
        { id: 'ran', keep: null },
      ]);
    } finally {
      await db.destroy();
    }
  });
});
