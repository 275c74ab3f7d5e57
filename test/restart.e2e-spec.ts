import jwt from 'jsonwebtoken';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseService } from '../src/database/database.service.js';
import { ADMIN, createTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { TEST_ENGINE } from './support/test-database.js';

interface UserBody {
  id: string;
  username: string;
  role: string;
  createdAt: number;
}

/** Boots on a fresh folder, runs `before`, stops keeping the data, boots again on it. */
async function acrossRestart<T>(
  overrides: Record<string, string>,
  before: (first: TestApp) => Promise<T>,
  after: (second: TestApp, state: T) => Promise<void>,
  secondOverrides: Record<string, string> = {},
): Promise<void> {
  const first = await createTestApp(overrides);
  const dataDir = first.dataDir;
  try {
    const state = await before(first);
    await first.close({ keepData: true });
    const second = await createTestApp({ ...overrides, ...secondOverrides, DATA_DIR: dataDir });
    try {
      await after(second, state);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The generated JWT secret where the engine keeps it: a file only its owner reads, or a row every machine reads. */
async function keptSecret(t: TestApp): Promise<string> {
  if (TEST_ENGINE === 'postgres') {
    const row = await t.app
      .get(DatabaseService)
      .db.selectFrom('server_secrets')
      .select('value')
      .where('name', '=', 'jwt-secret')
      .executeTakeFirstOrThrow();
    expect(existsSync(join(t.dataDir, 'jwt-secret'))).toBe(false);
    return row.value;
  }
  const file = join(t.dataDir, 'jwt-secret');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  return readFileSync(file, 'utf8');
}

describe('restart on the same DATA_DIR', () => {
  it('keeps users, libraries, settings and roles', async () => {
    await acrossRestart(
      {},
      async (first) => {
        const reader = await first.createUser('user', 'kept-reader');
        const owner = await first.createUser('user', 'kept-owner');
        const photos = await first.createLibrary({
          name: 'Kept photos',
          root: '/srv/kept',
          settings: { depth: 3 },
        });
        const movies = await first.createLibrary({ name: 'Kept movies', type: 'movies' });
        await first.grant(photos, reader.id, 'read');
        await first.grant(photos, owner.id, 'admin');
        await first.grant(movies, owner.id, 'write');
        const users = await first
          .http()
          .get('/users')
          .set('Authorization', `Bearer ${first.admin.token}`)
          .expect(200);
        return { reader, owner, photos, movies, users: users.body as UserBody[] };
      },
      async (second, { reader, owner, photos, movies, users }) => {
        const listed = await second
          .http()
          .get('/users')
          .set('Authorization', `Bearer ${second.admin.token}`)
          .expect(200);
        expect(listed.body).toEqual(users);

        const readerToken = await second.login(reader.username, reader.password);
        const readerMe = await second
          .http()
          .get('/auth/me')
          .set('Authorization', `Bearer ${readerToken}`)
          .expect(200);
        expect(readerMe.body).toEqual({
          id: reader.id,
          username: reader.username,
          role: 'user',
          libraries: { [photos]: 'read' },
        });

        // A token issued before the restart, signed with the same JWT_SECRET.
        const ownerLibraries = await second
          .http()
          .get('/libraries')
          .set('Authorization', `Bearer ${owner.token}`)
          .expect(200);
        expect(ownerLibraries.body).toEqual([
          expect.objectContaining({
            id: photos,
            name: 'Kept photos',
            role: 'admin',
            root: '/srv/kept',
            settings: { depth: 3 },
          }),
          expect.objectContaining({ id: movies, name: 'Kept movies', role: 'write' }),
        ]);
        await second
          .http()
          .patch(`/libraries/${photos}`)
          .set('Authorization', `Bearer ${readerToken}`)
          .send({ name: 'Not allowed' })
          .expect(403);
        await second
          .http()
          .patch(`/libraries/${photos}`)
          .set('Authorization', `Bearer ${owner.token}`)
          .send({ name: 'Still mine' })
          .expect(200);
      },
    );
  });

  it('keeps a generated JWT secret (in DATA_DIR on SQLite, in the database on PostgreSQL), so tokens outlive the restart', async () => {
    await acrossRestart(
      { JWT_SECRET: '' },
      async (first) => {
        const secret = await keptSecret(first);
        expect(secret.length).toBeGreaterThanOrEqual(32);
        expect(jwt.verify(first.admin.token, secret)).toMatchObject({ sub: first.admin.id });
        const user = await first.createUser();
        return { secret, user, adminToken: first.admin.token };
      },
      async (second, { secret, user, adminToken }) => {
        expect(await keptSecret(second)).toBe(secret);
        await Promise.all(
          [adminToken, user.token].map((token) =>
            second.http().get('/auth/me').set('Authorization', `Bearer ${token}`).expect(200),
          ),
        );
        const foreign = jwt.sign({}, TEST_JWT_SECRET, {
          issuer: 'reelay',
          subject: second.admin.id,
          expiresIn: 600,
        });
        await second.http().get('/auth/me').set('Authorization', `Bearer ${foreign}`).expect(401);
      },
    );
  });

  it('refuses tokens of the old secret when JWT_SECRET changes', async () => {
    await acrossRestart(
      {},
      async (first) => first.admin.token,
      async (second, oldToken) => {
        const response = await second
          .http()
          .get('/auth/me')
          .set('Authorization', `Bearer ${oldToken}`)
          .expect(401);
        expect(response.body).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'The token is invalid',
        });
      },
      { JWT_SECRET: 'another-secret-that-is-long-enough-0123456789' },
    );
  });
});

describe('the first admin', () => {
  it('is created on first start from ADMIN_USERNAME and ADMIN_PASSWORD, and only then', async () => {
    await acrossRestart(
      {},
      async (first) => {
        const users = await first
          .http()
          .get('/users')
          .set('Authorization', `Bearer ${first.admin.token}`)
          .expect(200);
        expect(users.body).toEqual([
          {
            id: first.admin.id,
            username: ADMIN.username,
            role: 'admin',
            createdAt: expect.any(Number),
          },
        ]);
        return users.body as UserBody[];
      },
      async (second, usersBefore) => {
        // createTestApp logged in with the first password: the new ADMIN_PASSWORD changed nothing.
        await second
          .http()
          .post('/auth/login')
          .send({ username: ADMIN.username, password: 'a-new-admin-password' })
          .expect(401);
        await second
          .http()
          .post('/auth/login')
          .send({ username: 'second-admin', password: 'a-new-admin-password' })
          .expect(401);
        const users = await second
          .http()
          .get('/users')
          .set('Authorization', `Bearer ${second.admin.token}`)
          .expect(200);
        expect(users.body).toEqual(usersBefore);
      },
      { ADMIN_PASSWORD: 'a-new-admin-password' },
    );
  });

  it('is not created again when it was deleted and other users remain', async () => {
    await acrossRestart(
      {},
      async (first) => {
        const other = await first.createUser('admin', 'other-admin');
        await first
          .http()
          .delete(`/users/${first.admin.id}`)
          .set('Authorization', `Bearer ${other.token}`)
          .expect(204);
        // The harness logs in as ADMIN after the restart: a user of that name, but no admin.
        await first
          .http()
          .post('/users')
          .set('Authorization', `Bearer ${other.token}`)
          .send({ ...ADMIN, role: 'user' })
          .expect(201);
        return other;
      },
      async (second, other) => {
        const me = await second
          .http()
          .get('/auth/me')
          .set('Authorization', `Bearer ${second.admin.token}`)
          .expect(200);
        expect(me.body).toMatchObject({ username: ADMIN.username, role: 'user' });
        const users = await second
          .http()
          .get('/users')
          .set('Authorization', `Bearer ${other.token}`)
          .expect(200);
        const roles = (users.body as UserBody[]).map(({ username, role }) => `${username}:${role}`);
        expect(roles.sort()).toEqual([`${ADMIN.username}:user`, 'other-admin:admin']);
      },
    );
  });
});
