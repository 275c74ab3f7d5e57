import jwt from 'jsonwebtoken';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request, { type Response } from 'supertest';
import { DatabaseService } from '../src/database/database.service.js';
import { eventually } from './support/eventually.js';
import { RedisServer, uniquePrefix } from './support/redis-server.js';
import {
  login as loginAt,
  openSse,
  type RunningServer,
  ServerBuild,
} from './support/server-process.js';
import { SseFrameClient } from './support/sse-frame-client.js';
import { RecordingSocket } from './support/socketio-client.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp, type TestUser } from './support/test-app.js';

const REVOKED = 'The session has ended; log in again';
const REFRESH_REFUSED = 'The session has ended or is unknown; log in again';
const REFRESH_REUSED =
  'This refresh cookie was replaced already: the session has ended; log in again';
const TICKET_REFUSED = 'The stream ticket is unknown, already used or expired; ask for a new one';
/** An ended session's streams close within this, on every process. */
const CLOSE_WITHIN_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Cookie {
  value: string;
  attributes: string[];
}

/** The cookies a response sets, by name. */
function cookiesOf(response: Response): Record<string, Cookie> {
  const header = (response.headers['set-cookie'] ?? []) as unknown as string[];
  return Object.fromEntries(
    header.map((line) => {
      const [pair, ...attributes] = line.split(/;\s*/);
      const equals = pair.indexOf('=');
      return [pair.slice(0, equals), { value: pair.slice(equals + 1), attributes }];
    }),
  );
}

function expectCleared(response: Response): void {
  const cookies = cookiesOf(response);
  expect(Object.keys(cookies).sort()).toEqual(['refresh', 'token']);
  for (const [name, path] of [
    ['token', 'Path=/'],
    ['refresh', 'Path=/auth'],
  ]) {
    expect(cookies[name].value).toBe('');
    expect(cookies[name].attributes).toEqual(
      expect.arrayContaining([path, 'Expires=Thu, 01 Jan 1970 00:00:00 GMT']),
    );
  }
}

function expectUnauthorized(response: Response, message: string): void {
  expect(response.status).toBe(401);
  expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', message });
}

/** One login's credentials: the access token and the refresh cookie's value. */
interface Login {
  token: string;
  refresh: string;
  sessionId: string;
}

function loginOf(response: Response): Login {
  expect(response.status).toBe(200);
  const refresh = cookiesOf(response).refresh.value;
  return {
    token: (response.body as { accessToken: string }).accessToken,
    refresh,
    sessionId: refresh.split('.')[0],
  };
}

/** What `sid` an access token names. */
function sessionOfToken(token: string): unknown {
  return (jwt.decode(token) as jwt.JwtPayload).sid;
}

async function logIn(t: TestApp, user: TestUser, userAgent = 'sessions-e2e'): Promise<Login> {
  const response = await t
    .http()
    .post('/auth/login')
    .set('User-Agent', userAgent)
    .send({ username: user.username, password: user.password });
  return loginOf(response);
}

function refreshWith(t: TestApp, refresh: string): request.Test {
  return t.http().post('/auth/refresh').set('Cookie', `refresh=${refresh}`);
}

function me(t: TestApp, token: string): request.Test {
  return t.http().get('/auth/me').set('Authorization', `Bearer ${token}`);
}

interface ListedSession {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string;
  current: boolean;
}

async function sessionsOf(t: TestApp, token: string): Promise<ListedSession[]> {
  const response = await t
    .http()
    .get('/auth/sessions')
    .set('Authorization', `Bearer ${token}`)
    .expect(200);
  return response.body as ListedSession[];
}

async function sessionOf(t: TestApp, token: string, id: string): Promise<ListedSession> {
  const session = (await sessionsOf(t, token)).find((listed) => listed.id === id);
  if (session === undefined) throw new Error(`session ${id} is not listed`);
  return session;
}

/** A stream of each transport opened with `token`, closed after the test by `streams`. */
class Streams {
  private readonly open: { close(): unknown }[] = [];

  async sse(baseUrl: string, token: string): Promise<SseFrameClient> {
    const client = await SseFrameClient.stream(baseUrl, '/sse', token);
    this.open.push(client);
    return client;
  }

  async socket(baseUrl: string, token: string): Promise<RecordingSocket> {
    const socket = await RecordingSocket.open(baseUrl, { query: { token } });
    this.open.push(socket);
    return socket;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((client) => client.close()));
  }
}

/** Resolves once the SSE stream has ended (its last chunk, or its socket closed). */
function sseEnded(client: SseFrameClient, timeoutMs: number): Promise<void> {
  return client
    .waitUntil((c) => c.ended || c.closed, timeoutMs)
    .catch((error: Error) => {
      // waitUntil gives up when the socket closed: that is an end too.
      if (!client.closed) throw error;
    });
}

/** Whether a `library` event naming `library` reached the SSE client and the socket. */
async function bothReceive(
  sse: SseFrameClient,
  socket: RecordingSocket,
  library: string,
): Promise<void> {
  await sse.waitUntil((c) => c.events.some((frame) => frame.data?.includes(library) ?? false));
  await socket.waitUntil((events) =>
    events.some((event) => JSON.stringify(event.data).includes(library)),
  );
}

describe('sessions', () => {
  let t: TestApp;
  const streams = new Streams();

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterEach(() => streams.closeAll());
  afterAll(() => t.close());

  describe('POST /auth/login', () => {
    it('sets the token cookie and an HttpOnly, SameSite=Strict refresh cookie for /auth, and the token names its session', async () => {
      const user = await t.createUser();
      const response = await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
      const cookies = cookiesOf(response);
      expect(Object.keys(cookies).sort()).toEqual(['refresh', 'token']);
      const { accessToken } = response.body as { accessToken: string };
      expect(cookies.token.value).toBe(accessToken);
      expect(cookies.token.attributes).toEqual(
        expect.arrayContaining(['Max-Age=3600', 'Path=/', 'HttpOnly', 'SameSite=Strict']),
      );
      expect(cookies.refresh.value).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[\w-]{43}$/,
      );
      expect(cookies.refresh.attributes).toEqual(
        expect.arrayContaining([
          `Max-Age=${30 * 86400}`,
          'Path=/auth',
          'HttpOnly',
          'SameSite=Strict',
        ]),
      );
      expect(cookies.refresh.attributes).not.toContain('Secure');

      const [sessionId, secret] = cookies.refresh.value.split('.');
      expect(jwt.verify(accessToken, TEST_JWT_SECRET)).toMatchObject({
        sub: user.id,
        sid: sessionId,
      });
      // The database keeps a hash of the secret, never the secret.
      const row = await t.app
        .get(DatabaseService)
        .db.selectFrom('sessions')
        .selectAll()
        .where('id', '=', sessionId)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        user_id: user.id,
        secret_hash: createHash('sha256').update(secret).digest('hex'),
        previous_hash: null,
        revoked_at: null,
      });
      expect(JSON.stringify(row)).not.toContain(secret);
    });
  });

  describe('POST /auth/refresh', () => {
    it('gives a working access token of the same session, rotates the refresh cookie and moves the expiry', async () => {
      const user = await t.createUser();
      const first = await logIn(t, user);
      const before = await sessionOf(t, first.token, first.sessionId);
      await sleep(20);

      const response = await refreshWith(t, first.refresh).expect(200);
      expect(response.body).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 3600,
      });
      const cookies = cookiesOf(response);
      const { accessToken } = response.body as { accessToken: string };
      expect(cookies.token.value).toBe(accessToken);
      expect(cookies.refresh.attributes).toEqual(
        expect.arrayContaining(['Path=/auth', 'HttpOnly', 'SameSite=Strict']),
      );
      const [sessionId, secret] = cookies.refresh.value.split('.');
      expect(sessionId).toBe(first.sessionId);
      expect(secret).not.toBe(first.refresh.split('.')[1]);
      expect(sessionOfToken(accessToken)).toBe(first.sessionId);
      const who = await me(t, accessToken).expect(200);
      expect(who.body).toMatchObject({ id: user.id });

      const after = await sessionOf(t, accessToken, first.sessionId);
      expect(Date.parse(after.lastUsedAt)).toBeGreaterThan(Date.parse(before.lastUsedAt));
      expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.parse(before.expiresAt));
      expect(after.createdAt).toBe(before.createdAt);

      // The new cookie rotates in turn.
      const again = await refreshWith(t, cookies.refresh.value).expect(200);
      expect(cookiesOf(again).refresh.value).not.toBe(cookies.refresh.value);
    });

    it('answers the cookie it just replaced, within the grace, with an access token and no new cookie', async () => {
      const user = await t.createUser();
      const { refresh: replaced } = await logIn(t, user);
      const rotated = cookiesOf(await refreshWith(t, replaced).expect(200)).refresh.value;

      const late = await refreshWith(t, replaced).expect(200);
      expect(Object.keys(cookiesOf(late))).toEqual(['token']);
      await me(t, (late.body as { accessToken: string }).accessToken).expect(200);
      // The browser's current cookie goes on working.
      await refreshWith(t, rotated).expect(200);
    });

    it('gives two refreshes at once with the same cookie one new cookie between them, and a token each', async () => {
      const user = await t.createUser();
      const { refresh } = await logIn(t, user);
      const responses = await Promise.all([refreshWith(t, refresh), refreshWith(t, refresh)]);
      expect(responses.map((response) => response.status)).toEqual([200, 200]);
      const rotations = responses.filter((response) => 'refresh' in cookiesOf(response));
      expect(rotations).toHaveLength(1);
      await refreshWith(t, cookiesOf(rotations[0]).refresh.value).expect(200);
    });

    it('ends the session when a cookie older than the one just replaced comes back, even within the grace', async () => {
      const user = await t.createUser();
      const first = await logIn(t, user);
      const second = cookiesOf(await refreshWith(t, first.refresh).expect(200)).refresh.value;
      const third = cookiesOf(await refreshWith(t, second).expect(200)).refresh.value;

      const stolen = await refreshWith(t, first.refresh);
      expectUnauthorized(stolen, REFRESH_REUSED);
      expectCleared(stolen);
      expectUnauthorized(await refreshWith(t, third), REFRESH_REFUSED);
      expectUnauthorized(await me(t, first.token), REVOKED);
    });

    it('answers a missing, malformed or unknown cookie with 401 and clears both cookies', async () => {
      const user = await t.createUser();
      const { refresh } = await logIn(t, user);
      const secret = refresh.split('.')[1];
      const answers = await Promise.all([
        t.http().post('/auth/refresh'),
        // An access token is no refresh cookie.
        t.http().post('/auth/refresh').set('Authorization', `Bearer ${user.token}`),
        t.http().post('/auth/refresh').set('Cookie', `token=${user.token}`),
        refreshWith(t, 'garbage'),
        refreshWith(t, `${randomUUID()}.${secret}`),
        refreshWith(t, `${refresh}x`),
      ]);
      for (const response of answers) {
        expectUnauthorized(response, REFRESH_REFUSED);
        expectCleared(response);
      }
      // None of them touched the real session.
      await refreshWith(t, refresh).expect(200);
    });
  });

  describe('POST /auth/logout', () => {
    it("ends the refresh cookie's session: its token is refused at once, its SSE and Socket.IO streams end within a second, another session of the user goes on", async () => {
      const user = await t.createUser('admin');
      const [leaving, staying] = [await logIn(t, user), await logIn(t, user)];
      const [leavingSse, leavingSocket, stayingSse, stayingSocket] = await Promise.all([
        streams.sse(t.baseUrl, leaving.token),
        streams.socket(t.baseUrl, leaving.token),
        streams.sse(t.baseUrl, staying.token),
        streams.socket(t.baseUrl, staying.token),
      ]);

      const response = await t
        .http()
        .post('/auth/logout')
        .set('Cookie', `refresh=${leaving.refresh}`)
        .expect(204);
      expectCleared(response);
      const loggedOutAt = Date.now();
      await Promise.all([
        sseEnded(leavingSse, CLOSE_WITHIN_MS),
        leavingSocket.disconnected(CLOSE_WITHIN_MS),
      ]);
      expect(Date.now() - loggedOutAt).toBeLessThanOrEqual(CLOSE_WITHIN_MS);
      expect(leavingSocket.disconnectReason).toBe('io server disconnect');

      expectUnauthorized(await me(t, leaving.token), REVOKED);
      expectUnauthorized(await refreshWith(t, leaving.refresh), REFRESH_REFUSED);
      const again = await SseFrameClient.open(t.baseUrl, '/sse', {
        headers: { Authorization: `Bearer ${leaving.token}` },
      });
      await again.waitUntil((c) => c.ended);
      again.close();
      expect({ status: again.status, body: JSON.parse(again.body) as unknown }).toEqual({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', message: REVOKED },
      });

      await me(t, staying.token).expect(200);
      const library = await t.createLibrary({ name: 'After the logout' });
      await bothReceive(stayingSse, stayingSocket, library);
      expect(stayingSse.ended || stayingSse.closed).toBe(false);
      expect(stayingSocket.disconnectReason).toBeUndefined();
      expect(leavingSocket.events.some((event) => JSON.stringify(event).includes(library))).toBe(
        false,
      );
    });

    it("ends the access token's session when no refresh cookie comes with it", async () => {
      const user = await t.createUser();
      const session = await logIn(t, user);
      const response = await t
        .http()
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.token}`)
        .expect(204);
      expectCleared(response);
      expectUnauthorized(await me(t, session.token), REVOKED);
      expectUnauthorized(await refreshWith(t, session.refresh), REFRESH_REFUSED);
    });

    it('ends nothing for a refresh cookie with the wrong secret, and answers 204 all the same', async () => {
      const user = await t.createUser();
      const session = await logIn(t, user);
      const forged = `${session.sessionId}.${'A'.repeat(43)}`;
      expectCleared(
        await t.http().post('/auth/logout').set('Cookie', `refresh=${forged}`).expect(204),
      );
      expectCleared(await t.http().post('/auth/logout').expect(204));
      await me(t, session.token).expect(200);
      await refreshWith(t, session.refresh).expect(200);
    });

    it('leaves the tokens issued before sessions (no sid) valid until they expire', async () => {
      const legacy = jwt.sign({}, TEST_JWT_SECRET, {
        issuer: 'reelay',
        subject: t.admin.id,
        expiresIn: 600,
      });
      await t.http().post('/auth/logout').set('Authorization', `Bearer ${legacy}`).expect(204);
      await me(t, legacy).expect(200);
      const sse = await streams.sse(t.baseUrl, legacy);
      expect(sse.status).toBe(200);
    });
  });

  describe('GET and DELETE /auth/sessions', () => {
    it("lists the caller's live sessions, the current one marked, with the login's User-Agent cut to 200 characters", async () => {
      const user = await t.createUser();
      const long = `Mozilla/5.0 ${'x'.repeat(300)}`;
      const phone = await logIn(t, user, 'Phone');
      const laptop = await logIn(t, user, long);
      const ended = await logIn(t, user, 'Ended');
      await t.http().post('/auth/logout').set('Cookie', `refresh=${ended.refresh}`).expect(204);

      const listed = await sessionsOf(t, laptop.token);
      // createUser logged in too: that session is live as well.
      expect(listed.map((session) => session.id)).toEqual(
        expect.arrayContaining([phone.sessionId, laptop.sessionId, sessionOfToken(user.token)]),
      );
      expect(listed).toHaveLength(3);
      const byId = new Map(listed.map((session) => [session.id, session]));
      expect(byId.get(laptop.sessionId)).toEqual({
        id: laptop.sessionId,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        lastUsedAt: expect.stringMatching(/Z$/),
        expiresAt: expect.stringMatching(/Z$/),
        userAgent: long.slice(0, 200),
        current: true,
      });
      expect(byId.get(phone.sessionId)).toMatchObject({ userAgent: 'Phone', current: false });
      const { createdAt, expiresAt } = byId.get(phone.sessionId) as ListedSession;
      expect(Date.parse(expiresAt) - Date.parse(createdAt)).toBe(30 * 86_400_000);
      expect(listed.filter((session) => session.current)).toHaveLength(1);
      // The last used first.
      const used = listed.map((session) => Date.parse(session.lastUsedAt));
      expect(used).toEqual([...used].sort((a, b) => b - a));
    });

    it("revokes one of the caller's sessions: its token is refused, its stream ends, the caller's goes on", async () => {
      const user = await t.createUser();
      const [keeping, revoked] = [await logIn(t, user), await logIn(t, user)];
      const stream = await streams.sse(t.baseUrl, revoked.token);

      await t
        .http()
        .delete(`/auth/sessions/${revoked.sessionId}`)
        .set('Authorization', `Bearer ${keeping.token}`)
        .expect(204);
      await sseEnded(stream, CLOSE_WITHIN_MS);
      expectUnauthorized(await me(t, revoked.token), REVOKED);
      expectUnauthorized(await refreshWith(t, revoked.refresh), REFRESH_REFUSED);
      await me(t, keeping.token).expect(200);
      const listed = await sessionsOf(t, keeping.token);
      expect(listed.map((session) => session.id)).not.toContain(revoked.sessionId);

      const twice = await t
        .http()
        .delete(`/auth/sessions/${revoked.sessionId}`)
        .set('Authorization', `Bearer ${keeping.token}`)
        .expect(404);
      expect(twice.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'Session not found',
      });
    });

    it("answers another user's session or an unknown id with 404, garbage with 400, and no token with 401", async () => {
      const [owner, other] = [await t.createUser(), await t.createUser()];
      const session = await logIn(t, owner);
      const remove = (id: string, token?: string) => {
        const call = t.http().delete(`/auth/sessions/${id}`);
        return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
      };

      for (const id of [session.sessionId, randomUUID()]) {
        // oxlint-disable-next-line no-await-in-loop -- one refusal after the other
        const response = await remove(id, other.token).expect(404);
        expect(response.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          message: 'Session not found',
        });
      }
      const garbage = await remove('not-a-session', other.token).expect(400);
      expect(garbage.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect((await remove(session.sessionId)).status).toBe(401);
      await me(t, session.token).expect(200);
      await t.http().get('/auth/sessions').expect(401);
    });
  });

  describe('stream tickets', () => {
    it('carry their session: its end closes the stream a ticket opened and refuses the tickets not yet used', async () => {
      const user = await t.createUser();
      const session = await logIn(t, user);
      const ticket = async () => {
        const response = await t
          .http()
          .post('/auth/stream-ticket')
          .set('Authorization', `Bearer ${session.token}`)
          .expect(201);
        return (response.body as { ticket: string }).ticket;
      };
      const [used, forSse, forSocket] = [await ticket(), await ticket(), await ticket()];
      const ticketed = await SseFrameClient.open(t.baseUrl, `/sse?ticket=${used}`);
      await ticketed.waitUntil((c) => c.status !== 0);
      expect(ticketed.status).toBe(200);

      await t.http().post('/auth/logout').set('Cookie', `refresh=${session.refresh}`).expect(204);
      await sseEnded(ticketed, CLOSE_WITHIN_MS);
      ticketed.close();

      const refused = await fetch(`${t.baseUrl}/sse?ticket=${forSse}`);
      expect({ status: refused.status, body: await refused.json() }).toEqual({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', message: REVOKED },
      });
      const socket = await RecordingSocket.refusedHandshake(t.baseUrl, {
        query: { ticket: forSocket },
      });
      expect(socket).toMatchObject({ status: 401, body: { message: REVOKED } });
      // Refused tickets are used up all the same.
      const again = await fetch(`${t.baseUrl}/sse?ticket=${forSse}`);
      expect(await again.json()).toMatchObject({ message: TICKET_REFUSED });
      expectUnauthorized(
        await t.http().post('/auth/stream-ticket').set('Authorization', `Bearer ${session.token}`),
        REVOKED,
      );
    });
  });
});

describe('sessions with a short grace and a short lifetime', () => {
  let t: TestApp;
  const streams = new Streams();

  beforeAll(async () => {
    t = await createTestApp({ REFRESH_GRACE_MS: '300', REFRESH_TTL: '2' });
  });
  afterEach(() => streams.closeAll());
  afterAll(() => t.close());

  it('ends the session when the replaced cookie comes back after the grace: its tokens and streams too', async () => {
    const user = await t.createUser();
    const session = await logIn(t, user);
    const rotated = cookiesOf(await refreshWith(t, session.refresh).expect(200)).refresh.value;
    const stream = await streams.sse(t.baseUrl, session.token);
    await sleep(400);

    const stolen = await refreshWith(t, session.refresh);
    expectUnauthorized(stolen, REFRESH_REUSED);
    expectCleared(stolen);
    await sseEnded(stream, CLOSE_WITHIN_MS);
    expectUnauthorized(await me(t, session.token), REVOKED);
    expectUnauthorized(await refreshWith(t, rotated), REFRESH_REFUSED);
  });

  it('lives REFRESH_TTL past its last refresh, and no longer', async () => {
    const user = await t.createUser();
    const { refresh } = await logIn(t, user);
    const cookies = cookiesOf(await refreshWith(t, refresh).expect(200));
    expect(cookies.refresh.attributes).toContain('Max-Age=2');
    await sleep(1200);
    // 1.2 s after the login's refresh: still live, and moved 2 s ahead again.
    const second = cookiesOf(await refreshWith(t, cookies.refresh.value).expect(200));
    await sleep(1200);
    const third = cookiesOf(await refreshWith(t, second.refresh.value).expect(200));
    await sleep(2200);
    const expired = await refreshWith(t, third.refresh.value);
    expectUnauthorized(expired, REFRESH_REFUSED);
    expectCleared(expired);
  });
});

describe('ended sessions across a restart', () => {
  it("keeps refusing an ended session's tokens after a restart on the same DATA_DIR, and takes the others", async () => {
    const first = await createTestApp();
    const dataDir = first.dataDir;
    try {
      const user = await first.createUser();
      const [ended, live] = [await logIn(first, user), await logIn(first, user)];
      await first.http().post('/auth/logout').set('Cookie', `refresh=${ended.refresh}`).expect(204);
      await first.close({ keepData: true });

      const second = await createTestApp({ DATA_DIR: dataDir });
      try {
        expectUnauthorized(await me(second, ended.token), REVOKED);
        const stream = await SseFrameClient.open(second.baseUrl, '/sse', {
          headers: { Authorization: `Bearer ${ended.token}` },
        });
        await stream.waitUntil((c) => c.ended);
        stream.close();
        expect(stream.status).toBe(401);
        await me(second, live.token).expect(200);
        await refreshWith(second, live.refresh).expect(200);
        expectUnauthorized(await refreshWith(second, ended.refresh), REFRESH_REFUSED);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sessions on two processes sharing the Redis bus', () => {
  const redis = new RedisServer();
  let build: ServerBuild;
  let dataDir: string;
  let a: RunningServer;
  let b: RunningServer;
  const adminPassword = 'admin-password';
  const prefix = uniquePrefix();

  const boot = () =>
    build.boot(
      {
        PORT: '0',
        DATA_DIR: dataDir,
        ADMIN_PASSWORD: adminPassword,
        JWT_SECRET: 'sessions-redis-test-secret-that-is-long-enough-0123',
        EVENT_BUS: 'redis',
        REDIS_URL: redis.url,
        REDIS_PREFIX: prefix,
      },
      dataDir,
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'reelay-sessions-'));
    [build] = await Promise.all([ServerBuild.compile(), redis.start()]);
    // One after the other: the first start creates the database and its admin.
    a = await boot();
    b = await boot();
  }, 120_000);

  afterAll(async () => {
    await build?.remove();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes the streams on B of a session logged out through A within a second, and B refuses its token', async () => {
    const login = await request(a.url)
      .post('/auth/login')
      .send({ username: 'admin', password: adminPassword });
    const session = loginOf(login);
    const other = await loginAt(b.url, 'admin', adminPassword);
    const [onB, socketOnB, otherOnB] = await Promise.all([
      openSse({ url: b.url, token: session.token }),
      RecordingSocket.open(b.url, { query: { token: session.token } }),
      openSse({ url: b.url, token: other }),
    ]);
    try {
      await request(a.url)
        .post('/auth/logout')
        .set('Cookie', `refresh=${session.refresh}`)
        .expect(204);
      const loggedOutAt = Date.now();
      await Promise.all([sseEnded(onB, CLOSE_WITHIN_MS), socketOnB.disconnected(CLOSE_WITHIN_MS)]);
      expect(Date.now() - loggedOutAt).toBeLessThanOrEqual(CLOSE_WITHIN_MS);

      const refusedOnB = await request(b.url)
        .get('/auth/me')
        .set('Authorization', `Bearer ${session.token}`);
      expect(refusedOnB.status).toBe(401);
      expect(refusedOnB.body).toMatchObject({ message: REVOKED });
      await request(b.url).get('/auth/me').set('Authorization', `Bearer ${other}`).expect(200);
      // The other session's stream goes on: a change made through A reaches it on B.
      const created = await request(a.url)
        .post('/libraries')
        .set('Authorization', `Bearer ${other}`)
        .send({ name: 'After the logout', type: 'photos' })
        .expect(201);
      const library = (created.body as { id: string }).id;
      await eventually(
        () => otherOnB.events.some((frame) => frame.data?.includes(library) ?? false),
        (received) => received,
      );
      expect(otherOnB.ended || otherOnB.closed).toBe(false);
    } finally {
      onB.close();
      otherOnB.close();
      await socketOnB.close();
    }
  });
});
