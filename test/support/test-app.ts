import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import type { AppConfigOverrides } from '../../src/config/config.provider.js';
import { recordCredentials, recordSecret, testAppLogger } from './log-capture.js';
import { createTestDatabase, TEST_ENGINE, type TestDatabase } from './test-database.js';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };
/** The JWT_SECRET every test app signs with, unless a test overrides it. */
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestUser {
  id: string;
  username: string;
  password: string;
  token: string;
}

/** supertest requests that carry a user's token. */
export interface AuthenticatedHttp {
  get(path: string): request.Test;
  head(path: string): request.Test;
  post(path: string): request.Test;
  put(path: string): request.Test;
  patch(path: string): request.Test;
  delete(path: string): request.Test;
}

export interface TestApp {
  app: NestExpressApplication;
  /** `http://127.0.0.1:PORT`, a real listening server. */
  baseUrl: string;
  dataDir: string;
  admin: TestUser;
  http: () => ReturnType<typeof request>;
  /** Requests as this user (Authorization: Bearer). */
  as(user: TestUser): AuthenticatedHttp;
  /** Creates a user with the given server role and logs them in. */
  createUser(role?: 'admin' | 'user', username?: string): Promise<TestUser>;
  login(username: string, password: string): Promise<string>;
  /** Creates a library as the admin; returns its id. */
  createLibrary(body?: Record<string, unknown>): Promise<string>;
  grant(
    libraryId: string,
    userId: string,
    role: 'none' | 'read' | 'write' | 'admin',
  ): Promise<void>;
  /** Stops the server; with `keepData` the data folder stays for a restart. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

let userCounter = 0;

/**
 * With REELAY_TEST_ENGINE=postgres, each data folder's database: created with the folder, kept
 * with it across a restart (`close({ keepData: true })`), dropped when the app closes for good.
 */
const databasesOfDataDirs = new Map<string, TestDatabase>();

async function databaseOverride(
  dataDir: string,
  overrides: AppConfigOverrides,
): Promise<AppConfigOverrides> {
  if (TEST_ENGINE !== 'postgres' || overrides.DATABASE_URL !== undefined) return {};
  let database = databasesOfDataDirs.get(dataDir);
  if (!database) {
    database = await createTestDatabase();
    databasesOfDataDirs.set(dataDir, database);
  }
  return { DATABASE_URL: database.url };
}

/**
 * Boots the whole application on a real port with a fresh data folder, and a fresh database on
 * the engine the tests run on (TEST_ENGINE).
 */
export async function createTestApp(
  overrides: AppConfigOverrides = {},
  /** Modules beside AppModule, as a server composed around it has them (the bench's). */
  besides: (Type | DynamicModule)[] = [],
): Promise<TestApp> {
  const dataDir = overrides.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'reelay-test-'));
  for (const secret of [TEST_JWT_SECRET, ADMIN.password, overrides.JWT_SECRET]) {
    recordSecret(secret);
  }
  const moduleRef = await Test.createTestingModule({
    imports: [
      AppModule.forRoot({
        DATA_DIR: dataDir,
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_PASSWORD: ADMIN.password,
        JWT_SECRET: TEST_JWT_SECRET,
        ...(await databaseOverride(dataDir, overrides)),
        ...overrides,
      }),
      ...besides,
    ],
  }).compile();
  const logging = testAppLogger();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: logging.logger });
  app.use(recordCredentials);
  configureApp(app);
  // PORT, when given, lets a test restart a server where its clients expect it.
  await app.listen(Number(overrides.PORT ?? 0), '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const http = () => request(baseUrl);

  const signIn = async (username: string, password: string) => {
    const response = await http().post('/auth/login').send({ username, password }).expect(200);
    const { accessToken, expiresIn } = response.body as { accessToken: string; expiresIn: number };
    return { token: accessToken, expiresAt: Date.now() + expiresIn * 1000 };
  };
  const login = async (username: string, password: string): Promise<string> =>
    (await signIn(username, password)).token;
  let adminSession = await signIn(ADMIN.username, ADMIN.password);
  /**
   * The admin's Authorization for the helpers below, signed in again when its token is about to
   * expire: some suites run with a JWT_TTL of seconds.
   */
  const asAdmin = async (): Promise<string> => {
    if (adminSession.expiresAt - Date.now() < 1000) {
      adminSession = await signIn(ADMIN.username, ADMIN.password);
    }
    return `Bearer ${adminSession.token}`;
  };
  const me = await http()
    .get('/auth/me')
    .set('Authorization', await asAdmin())
    .expect(200);
  const admin: TestUser = {
    ...ADMIN,
    id: (me.body as { id: string }).id,
    token: adminSession.token,
  };

  return {
    app,
    baseUrl,
    dataDir,
    admin,
    http,
    login,
    as(user) {
      const bearer = `Bearer ${user.token}`;
      return {
        get: (path) => http().get(path).set('Authorization', bearer),
        head: (path) => http().head(path).set('Authorization', bearer),
        post: (path) => http().post(path).set('Authorization', bearer),
        put: (path) => http().put(path).set('Authorization', bearer),
        patch: (path) => http().patch(path).set('Authorization', bearer),
        delete: (path) => http().delete(path).set('Authorization', bearer),
      };
    },
    async createUser(role = 'user', username = `user${++userCounter}-${process.pid}`) {
      const password = `password-of-${username}`;
      const response = await http()
        .post('/users')
        .set('Authorization', await asAdmin())
        .send({ username, password, role })
        .expect(201);
      const token = await login(username, password);
      return { id: (response.body as { id: string }).id, username, password, token };
    },
    async createLibrary(body = {}) {
      const response = await http()
        .post('/libraries')
        .set('Authorization', await asAdmin())
        .send({ name: 'Library', type: 'photos', ...body })
        .expect(201);
      return (response.body as { id: string }).id;
    },
    async grant(libraryId, userId, role) {
      await http()
        .put(`/libraries/${libraryId}/users/${userId}`)
        .set('Authorization', await asAdmin())
        .send({ role })
        .expect(204);
    },
    async close(options = {}) {
      await app.close();
      logging.release();
      if (options.keepData) return;
      await databasesOfDataDirs.get(dataDir)?.drop();
      databasesOfDataDirs.delete(dataDir);
      if (overrides.DATA_DIR === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A library with its admin, a writer and a reader, and another library that only the outsider
 * reads.
 */
export interface LibraryCast {
  library: string;
  otherLibrary: string;
  libraryAdmin: TestUser;
  writer: TestUser;
  reader: TestUser;
  outsider: TestUser;
}

export async function createLibraryCast(
  t: TestApp,
  library: Record<string, unknown> = {},
  otherLibrary: Record<string, unknown> = {},
): Promise<LibraryCast> {
  const cast = {
    library: await t.createLibrary(library),
    otherLibrary: await t.createLibrary({ name: 'Other', ...otherLibrary }),
    libraryAdmin: await t.createUser(),
    writer: await t.createUser(),
    reader: await t.createUser(),
    outsider: await t.createUser(),
  };
  await t.grant(cast.library, cast.libraryAdmin.id, 'admin');
  await t.grant(cast.library, cast.writer.id, 'write');
  await t.grant(cast.library, cast.reader.id, 'read');
  await t.grant(cast.otherLibrary, cast.outsider.id, 'read');
  return cast;
}
