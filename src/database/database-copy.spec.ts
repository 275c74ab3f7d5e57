import { Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.js';
import { COPIED_TABLES, copyRows, countRows } from './database-copy.js';
import { migrateToLatest, openPostgresPool, openSqlite } from './database.service.js';
import type { Database } from './schema.js';

/** Past 2^31 milliseconds, as every timestamp is: PostgreSQL's 32-bit integer would refuse it. */
const NOW = 1_796_000_000_123;

/** One row in every copied table, with values each engine could get wrong: big, fractional, null, not ASCII. */
async function fill(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('users')
    .values({ id: 'u1', username: 'zoë', password_hash: 'hash', role: 'admin', created_at: NOW })
    .execute();
  await db
    .insertInto('libraries')
    .values({
      id: 'l1',
      name: 'Fotos 📷',
      type: 'photos',
      root: null,
      settings: '{"a":1}',
      credentials: null,
      created_at: NOW,
      updated_at: NOW + 1,
    })
    .execute();
  await db
    .insertInto('library_users')
    .values({ library_id: 'l1', user_id: 'u1', role: 'write' })
    .execute();
  await db
    .insertInto('medias')
    .values({
      id: 'm1',
      library_id: 'l1',
      name: 'film.mkv',
      path: '/media/film.mkv',
      mimetype: 'video/x-matroska',
      size: 2 ** 40 + 7,
      modified: NOW,
      added: NOW,
      updated: NOW,
      origin: 'scan',
      description: null,
      duration_ms: 5_400_000,
      width: 3840,
      height: 2160,
    })
    .execute();
  const catalog = { library_id: 'l1', added: NOW, updated: NOW };
  await db
    .insertInto('series')
    .values({ ...catalog, id: 's1', name: 'Dark', overview: null, year: 2017 })
    .execute();
  await db
    .insertInto('episodes')
    .values({
      ...catalog,
      id: 'e1',
      name: 'Secrets',
      serie_id: 's1',
      season: null,
      number: 1,
      overview: 'x',
      media_id: 'm1',
    })
    .execute();
  await db
    .insertInto('movies')
    .values({ ...catalog, id: 'v1', name: 'Alien', overview: null, year: 1979, media_id: null })
    .execute();
  await db
    .insertInto('people')
    .values({ ...catalog, id: 'p1', name: 'Ripley', overview: null })
    .execute();
  await db
    .insertInto('tags')
    .values({ ...catalog, id: 't1', name: 'Sci-fi' })
    .execute();
  await db
    .insertInto('media_user_data')
    .values({
      user_id: 'u1',
      media_id: 'm1',
      progress: 123_456,
      progress_modified: NOW,
      rating: 4.25,
      rating_modified: null,
    })
    .execute();
  await db
    .insertInto('backups')
    .values({
      id: 'b1',
      name: 'Nightly',
      library_id: null,
      path: 'nightly',
      schedule: '@daily',
      keep: 3,
      status: 'done',
      added: NOW,
      updated: NOW,
      started: NOW,
      finished: NOW + 5,
      archive: 'nightly/a.tar',
      archive_size: 2 ** 33,
      files: 1,
      files_done: 1,
      files_missing: 0,
      bytes: 2 ** 40 + 7,
      bytes_done: 2 ** 40 + 7,
      error: null,
    })
    .execute();
  await db
    .insertInto('backup_archives')
    .values({
      backup_id: 'b1',
      path: 'nightly/a.tar',
      size: 2 ** 33,
      started: NOW,
      finished: NOW + 5,
    })
    .execute();
  await db
    .insertInto('event_log')
    .values({
      id: 2 ** 40,
      name: 'tags',
      data: '{"Tags":{}}',
      reader_data: null,
      library: 'l1',
      owner: null,
    })
    .execute();
  await db
    .updateTable('event_log_state')
    .set({ reserved: 2 ** 40, stored: 2 ** 40 })
    .execute();
}

/** Every copied table's rows, in a stable order. */
async function contents(db: Kysely<Database>): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  for (const table of COPIED_TABLES) {
    // oxlint-disable-next-line no-await-in-loop -- one table after another
    tables[table] = await db
      .selectFrom(table)
      .selectAll()
      .orderBy(sql`1`)
      .execute();
  }
  return tables;
}

function sqliteInMemory(): Kysely<Database> {
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: openSqlite(':memory:') }) });
}

describe('copying the database between engines', () => {
  const opened: Kysely<Database>[] = [];
  let postgres: TestDatabase | undefined;

  async function migrated(db: Kysely<Database>): Promise<Kysely<Database>> {
    opened.push(db);
    await migrateToLatest(db);
    return db;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.destroy()));
    await postgres?.drop();
    postgres = undefined;
  });

  it('covers every table the migrations create, but the shared secrets, tickets and sessions', async () => {
    const db = await migrated(sqliteInMemory());
    const { rows } = await sql<{ name: string }>`
      SELECT name FROM sqlite_master
      WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%'`.execute(db);
    expect(rows.map((row) => row.name).sort()).toEqual(
      [...COPIED_TABLES, 'server_secrets', 'stream_tickets', 'sessions'].sort(),
    );
  });

  it('carries every row from SQLite to PostgreSQL and back unchanged, parents first', async () => {
    const source = await migrated(sqliteInMemory());
    await fill(source);
    await source
      .insertInto('server_secrets')
      .values({ name: 'jwt-secret', value: 'never copied' })
      .execute();
    const { id: userId } = await source.selectFrom('users').select('id').executeTakeFirstOrThrow();
    await source
      .insertInto('sessions')
      .values({
        id: 'never-copied',
        user_id: userId,
        secret_hash: 'hash',
        previous_hash: null,
        rotated_at: 1,
        created_at: 1,
        last_used_at: 1,
        expires_at: Number.MAX_SAFE_INTEGER,
        revoked_at: null,
        user_agent: '',
      })
      .execute();
    postgres = await createTestDatabase();
    const middle = await migrated(
      new Kysely<Database>({
        dialect: new PostgresDialect({ pool: openPostgresPool(postgres.url, 2) }),
      }),
    );
    expect(await countRows(middle)).toBe(0);

    await middle.transaction().execute((target) => copyRows(source, target));
    const back = await migrated(sqliteInMemory());
    await back.transaction().execute((target) => copyRows(middle, target));

    const expected = await contents(source);
    expect(await contents(middle)).toEqual(expected);
    expect(await contents(back)).toEqual(expected);
    expect(await countRows(back)).toBe(COPIED_TABLES.length - 1);
    expect(await back.selectFrom('server_secrets').selectAll().execute()).toEqual([]);
    expect(await middle.selectFrom('sessions').selectAll().execute()).toEqual([]);
  });
});
