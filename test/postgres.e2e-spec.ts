import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import { eventually } from './support/eventually.js';
import { RedisServer, uniquePrefix } from './support/redis-server.js';
import { login, openSse, type RunningServer, ServerBuild } from './support/server-process.js';
import { createTestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const ADMIN_PASSWORD = 'admin-password';

type Method = 'get' | 'post' | 'put';

function asAdmin(server: RunningServer, method: Method, path: string): request.Test {
  return request(server.url)[method](path).set('Authorization', `Bearer ${server.token}`);
}

/** The migrations a database has recorded as applied, each once. */
async function appliedMigrations(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      'SELECT name FROM kysely_migration ORDER BY name',
    );
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

/** What a client of the server sees of its libraries, their medias and a user's progress. */
async function servedState(server: RunningServer) {
  const libraries = (await asAdmin(server, 'get', '/libraries').expect(200)).body as {
    id: string;
  }[];
  const medias = await Promise.all(
    libraries.map(
      async (library) =>
        (await asAdmin(server, 'get', `/libraries/${library.id}/medias`).expect(200)).body as {
          items: { id: string; name: string }[];
        },
    ),
  );
  // 404 for a media the admin has no progress on.
  const progress = await Promise.all(
    medias.flatMap((list, index) =>
      list.items.map(async (media) => {
        const response = await asAdmin(
          server,
          'get',
          `/libraries/${libraries[index].id}/medias/${media.id}/progress`,
        );
        return { status: response.status, body: response.body as unknown };
      }),
    ),
  );
  return { libraries, medias, progress };
}

/**
 * A TCP relay to the PostgreSQL server that can be cut and restored: the database going away
 * and coming back, as the application's connections see it, without touching the shared server.
 */
class DatabaseRelay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 5432), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((listening) => server.listen(this.port, '127.0.0.1', listening));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise((closed) => server?.close(closed));
  }

  /** `url` with its host and port replaced by the relay's. */
  relayed(url: string): string {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(this.port);
    return through.toString();
  }
}

describe('PostgreSQL: one database for several processes and machines', () => {
  const redis = new RedisServer();
  const databases: TestDatabase[] = [];
  let build: ServerBuild;
  let work: string;

  const database = async () => {
    const created = await createTestDatabase();
    databases.push(created);
    return created;
  };

  beforeAll(async () => {
    [build] = await Promise.all([ServerBuild.compile(), redis.start()]);
  }, 120_000);
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'reelay-postgres-'));
  });
  afterEach(async () => {
    await build.stopAll();
    await Promise.all(databases.splice(0).map((created) => created.drop()));
    rmSync(work, { recursive: true, force: true });
  });
  afterAll(async () => {
    await build?.remove();
    await redis.stop();
  });

  it('runs two processes started at once on one database and one Redis: migrations applied once, the data and the events of either on both', async () => {
    const { url } = await database();
    // Two machines: each a DATA_DIR of its own, no JWT_SECRET (the database keeps the one key).
    const env = (name: string) => ({
      PORT: '0',
      DATA_DIR: join(work, name),
      DATABASE_URL: url,
      EVENT_BUS: 'redis',
      REDIS_URL: redis.url,
      REDIS_PREFIX: uniquePrefix(),
      ADMIN_PASSWORD,
    });
    const prefix = uniquePrefix();
    const [a, b] = await Promise.all(
      ['a', 'b'].map((name) => build.boot({ ...env(name), REDIS_PREFIX: prefix }, work)),
    );

    const applied = await appliedMigrations(url);
    expect(applied.length).toBeGreaterThanOrEqual(8);
    expect(new Set(applied).size).toBe(applied.length);
    const logs = a.process.stdout + b.process.stdout;
    for (const name of applied) {
      expect(logs.split(`Applied migration ${name}`).length - 1).toBe(1);
    }
    // One first admin, and each machine accepts the other's tokens.
    await request(b.url).get('/auth/me').set('Authorization', `Bearer ${a.token}`).expect(200);
    const users = (await asAdmin(a, 'get', '/users').expect(200)).body as unknown[];
    expect(users).toHaveLength(1);

    const [onA, onB] = await Promise.all([openSse(a), openSse(b)]);
    const created = (
      await asAdmin(a, 'post', '/libraries').send({ name: 'Shared', type: 'photos' }).expect(201)
    ).body as { id: string };
    const onOther = (await asAdmin(b, 'get', `/libraries/${created.id}`).expect(200)).body as {
      name: string;
    };
    expect(onOther.name).toBe('Shared');
    const named = (client: typeof onA) =>
      client.events.filter(
        (frame) => frame.event === 'library' && (frame.data ?? '').includes(created.id),
      );
    await eventually(
      () => [named(onA).length, named(onB).length],
      (counts) => counts.every((count) => count > 0),
    );
    expect(named(onA)).toHaveLength(1);
    expect(named(onB)).toHaveLength(1);
    expect(named(onA)[0].id).toBe(named(onB)[0].id);
    onA.close();
    onB.close();
  });

  it('stops a second process on the embedded event bus with a clear message: it would issue the same ids', async () => {
    const { url } = await database();
    const env = (name: string) => ({
      PORT: '0',
      DATA_DIR: join(work, name),
      DATABASE_URL: url,
      ADMIN_PASSWORD,
    });
    const first = await build.boot(env('first'), work);
    const second = await build.spawn(env('second'), work);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr.trim()).toBe(
      'Another Reelay process on the embedded event bus uses this database: processes that ' +
        'share a database must share events too (EVENT_BUS=redis)',
    );
    await asAdmin(first, 'get', '/libraries').expect(200);
  });

  it('answers readiness and writes 503 while the database is unreachable, and recovers without a restart', async () => {
    const { url } = await database();
    const relay = new DatabaseRelay(new URL(url));
    await relay.open();
    const t = await createTestApp({ DATABASE_URL: relay.relayed(url) });
    try {
      await t.http().get('/health/ready').expect(200);
      await relay.cut();
      const down = await eventually(
        () => t.http().get('/health/ready'),
        (response) => response.status === 503,
        10_000,
      );
      expect(down.body).toMatchObject({
        statusCode: 503,
        message: expect.stringMatching(/^Not ready: the database does not answer/) as unknown,
      });
      expect(JSON.stringify(down.body)).not.toContain(url);
      await t.http().get('/health').expect(200);
      const refused = await t
        .as(t.admin)
        .post('/libraries')
        .send({ name: 'During', type: 'photos' });
      expect({ status: refused.status, body: refused.body as unknown }).toEqual({
        status: 503,
        body: {
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'The database is unreachable; try again shortly',
        },
      });
      expect(refused.headers['retry-after']).toBe('5');

      await relay.open();
      await eventually(
        () => t.http().get('/health/ready'),
        (response) => response.status === 200,
        10_000,
      );
      await t.createLibrary({ name: 'After the outage' });
    } finally {
      await t.close();
      await relay.cut();
    }
  }, 40_000);

  it('backs up on PostgreSQL and restores into an empty database of either engine, files included, serving the same libraries and medias', async () => {
    const source = await database();
    const root = join(work, 'films');
    mkdirSync(join(root, 'extras'), { recursive: true });
    writeFileSync(join(root, 'alien.mkv'), 'the first film');
    writeFileSync(join(root, 'extras', 'making-of.mkv'), 'the extra');
    const backupDir = join(work, 'backups');
    const server = await build.boot(
      {
        PORT: '0',
        DATA_DIR: join(work, 'source'),
        DATABASE_URL: source.url,
        BACKUP_DIR: backupDir,
        BACKUP_MIN_FREE: '1m',
        ADMIN_PASSWORD,
      },
      work,
    );
    const library = (
      await asAdmin(server, 'post', '/libraries')
        .send({ name: 'Films', type: 'movies', root })
        .expect(201)
    ).body as { id: string };
    await asAdmin(server, 'post', `/libraries/${library.id}/scan`).expect(202);
    const medias = await eventually(
      async () =>
        (
          (await asAdmin(server, 'get', `/libraries/${library.id}/medias`).expect(200)).body as {
            items: { id: string }[];
          }
        ).items,
      (items) => items.length === 2,
    );
    await asAdmin(server, 'put', `/libraries/${library.id}/medias/${medias[0].id}/progress`)
      .send({ progress: 42_000 })
      .expect(200);
    const before = await servedState(server);
    expect(before.progress).toContainEqual({
      status: 200,
      body: expect.objectContaining({ progress: 42_000 }) as unknown,
    });

    const backup = (
      await asAdmin(server, 'post', '/backups').send({ name: 'Server', path: 'server' }).expect(201)
    ).body as { id: string };
    await asAdmin(server, 'post', `/backups/${backup.id}/run`).expect(202);
    const ran = await eventually(
      async () =>
        (await asAdmin(server, 'get', `/backups/${backup.id}`).expect(200)).body as {
          status: string;
          archive: string | null;
        },
      (state) => state.status === 'done' || state.status === 'error',
      20_000,
    );
    expect(ran.status).toBe('done');
    const archive = join(backupDir, ran.archive as string);
    await server.process.stop();
    rmSync(join(root, 'alien.mkv'));

    const target = await database();
    const restore = (env: Record<string, string>) =>
      build.runScript('src/restore.js', ['--files', archive], env, work);
    const intoPostgres = await restore({ DATABASE_URL: target.url });
    expect(intoPostgres.stderr).toBe('');
    expect(intoPostgres.exit.code).toBe(0);
    expect(intoPostgres.stdout).toContain(
      'Restored 1 users, 1 libraries and 2 medias into PostgreSQL (DATABASE_URL); ' +
        '1 media files written back, 1 left alone',
    );
    expect(intoPostgres.stdout).not.toContain(target.url);
    expect(readFileSync(join(root, 'alien.mkv'), 'utf8')).toBe('the first film');

    const again = await restore({ DATABASE_URL: target.url });
    expect(again.exit.code).toBe(1);
    expect(again.stderr).toMatch(
      /^Restore failed: the database to restore into already holds \d+ rows/,
    );

    const sqliteDataDir = join(work, 'restored-sqlite');
    const intoSqlite = await restore({ DATA_DIR: sqliteDataDir });
    expect(intoSqlite.exit.code).toBe(0);
    expect(intoSqlite.stdout).toContain(
      `into SQLite under ${sqliteDataDir}; 0 media files written back, 2 left alone`,
    );
    expect(existsSync(join(sqliteDataDir, 'reelay.db'))).toBe(true);

    for (const env of [
      { DATABASE_URL: target.url, DATA_DIR: join(work, 'restored-postgres') },
      { DATABASE_URL: '', DATA_DIR: sqliteDataDir },
    ]) {
      // Without ADMIN_PASSWORD: the restored admin logs in with the password of the backup.
      // oxlint-disable-next-line no-await-in-loop -- one restored server after the other
      const restored = await build.spawn({ PORT: '0', ...env }, work);
      // oxlint-disable-next-line no-await-in-loop -- as above
      const url = await restored.listening();
      expect(restored.stderr).not.toContain('Password:');
      // oxlint-disable-next-line no-await-in-loop -- as above
      const token = await login(url, 'admin', ADMIN_PASSWORD);
      // oxlint-disable-next-line no-await-in-loop -- as above
      expect(await servedState({ process: restored, url, token })).toEqual(before);
      // oxlint-disable-next-line no-await-in-loop -- as above
      await restored.stop();
    }
  }, 60_000);
});
