import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { eventually } from './support/eventually.js';
import { RedisServer, uniquePrefix } from './support/redis-server.js';
import { login, openSse, type RunningServer, ServerBuild } from './support/server-process.js';
import type { SseFrame, SseFrameClient } from './support/sse-frame-client.js';

const ADMIN_PASSWORD = 'admin-password';
/** Shared by every process, so that a token of one is good on the others. */
const JWT_SECRET = 'redis-bus-test-secret-that-is-long-enough-0123456789';
const KEEPALIVE_MS = 200;
/** Access changes made through one process reach every process's open streams within this. */
const ACCESS_PROPAGATION_MS = 1000;
/** How long changes queued while Redis was down may take to go out once it is back. */
const RECOVERY_MS = 15_000;
/** How soon `/health/ready` follows Redis going away and coming back. */
const READINESS_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Method = 'get' | 'post' | 'put' | 'delete';

/** A request as the server admin of `server`. */
function asAdmin(server: RunningServer, method: Method, path: string): request.Test {
  return request(server.url)[method](path).set('Authorization', `Bearer ${server.token}`);
}

let created = 0;

/** A new library, made through `server`; its id. Each is a `library` event to server admins. */
async function createLibrary(server: RunningServer): Promise<string> {
  const response = await asAdmin(server, 'post', '/libraries')
    .send({ name: `Library ${++created}`, type: 'photos' })
    .expect(201);
  return (response.body as { id: string }).id;
}

/** Libraries made one after another, through each server in turn; their ids in that order. */
async function createLibraries(servers: RunningServer[]): Promise<string[]> {
  const ids: string[] = [];
  for (const server of servers) {
    // oxlint-disable-next-line no-await-in-loop -- one change after another, in order
    ids.push(await createLibrary(server));
  }
  return ids;
}

/** A new tag of `library`, made through `server`: a `tags` event to the library's readers. */
async function addTag(server: RunningServer, library: string): Promise<string> {
  const response = await asAdmin(server, 'post', `/libraries/${library}/tags`)
    .send({ name: `Tag ${++created}` })
    .expect(201);
  return (response.body as { id: string }).id;
}

async function grant(
  server: RunningServer,
  library: string,
  userId: string,
  role: 'none' | 'read' | 'write' | 'admin',
): Promise<void> {
  await asAdmin(server, 'put', `/libraries/${library}/users/${userId}`).send({ role }).expect(204);
}

/** A plain user made through `server`, and their token there. */
async function createUser(server: RunningServer): Promise<{ id: string; token: string }> {
  const username = `user-${++created}-${process.pid}`;
  const password = `password-of-${username}`;
  const response = await asAdmin(server, 'post', '/users')
    .send({ username, password, role: 'user' })
    .expect(201);
  const token = await login(server.url, username, password);
  return { id: (response.body as { id: string }).id, token };
}

async function readiness(server: RunningServer): Promise<{ status: number; body: unknown }> {
  const response = await request(server.url).get('/health/ready');
  return { status: response.status, body: response.body as unknown };
}

/** The frames whose data names `ref` (a library's or a tag's id). */
function naming(client: SseFrameClient, ref: string): SseFrame[] {
  return client.events.filter((frame) => frame.data?.includes(`"${ref}"`));
}

/** Waits for the first event that names `ref`; its id. */
async function waitFor(client: SseFrameClient, ref: string, timeoutMs = 5000): Promise<number> {
  await client
    .waitUntil((c) => naming(c, ref).length > 0, timeoutMs)
    .catch((error: Error) => {
      throw new Error(`no event naming ${ref} within ${timeoutMs} ms: ${error.message}`);
    });
  return Number(naming(client, ref)[0].id);
}

/** An event as a client saw it, to compare what clients received. */
const view = (frame: SseFrame) => ({ id: frame.id, event: frame.event, data: frame.data });

/** The events with an id above `from`, in the order received. */
function after(client: SseFrameClient, from: number) {
  return client.events.filter((frame) => Number(frame.id) > from).map(view);
}

const pings = (client: SseFrameClient) =>
  client.frames.filter((frame) => frame.comment === 'ping').length;

/** Ids strictly rising, the first above `floor`. */
function expectRisingAbove(ids: number[], floor: number): void {
  expect(ids.length).toBeGreaterThan(0);
  expect(ids).toEqual([...new Set(ids)].sort((x, y) => x - y));
  expect(ids[0]).toBeGreaterThan(floor);
}

/** Where each library of `libraries` is in `client`'s events (one `library` event each). */
function positions(client: SseFrameClient, libraries: string[]): number[] {
  return libraries.map((library) => {
    const frames = naming(client, library);
    expect({ library, received: frames.length }).toEqual({ library, received: 1 });
    return client.events.indexOf(frames[0]);
  });
}

describe('EVENT_BUS=redis: one durable event log shared by every process', () => {
  const redis = new RedisServer();
  const prefix = uniquePrefix();
  let build: ServerBuild;
  let dataDir: string;
  /** Two processes on one DATA_DIR and one Redis, each on a port of its own. */
  let a: RunningServer;
  let b: RunningServer;
  /** The highest id any earlier test saw: ids never go backwards. */
  let highest = 0;
  const clients: SseFrameClient[] = [];

  const boot = () =>
    build.boot(
      {
        PORT: '0',
        DATA_DIR: dataDir,
        ADMIN_PASSWORD,
        JWT_SECRET,
        EVENT_BUS: 'redis',
        REDIS_URL: redis.url,
        REDIS_PREFIX: prefix,
        SSE_KEEPALIVE_MS: String(KEEPALIVE_MS),
      },
      dataDir,
    );

  /** A stream of `/sse` on `server`, closed after the test. */
  async function stream(
    server: RunningServer,
    options: { lastEventId?: number; token?: string } = {},
  ): Promise<SseFrameClient> {
    const client = await openSse(server, options.lastEventId, options.token);
    clients.push(client);
    return client;
  }

  const noteHighest = (...seen: SseFrameClient[]) => {
    highest = Math.max(highest, ...seen.flatMap((client) => client.ids));
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'reelay-redis-bus-'));
    [build] = await Promise.all([ServerBuild.compile(), redis.start()]);
    // One after the other: the first start creates the database and its admin.
    a = await boot();
    b = await boot();
  }, 120_000);

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await build?.remove();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers the same events with the same ids in the same order on both, wherever the change was made; a resume on the other process gets exactly what was missed', async () => {
    const [onA, onB, leaving] = await Promise.all([stream(a), stream(b), stream(a)]);
    const made = await createLibraries([a, b, a, b, a, b]);
    await Promise.all([onA, onB].map((client) => waitFor(client, made[5])));

    expect(onA.events.map(view)).toEqual(onB.events.map(view));
    expectRisingAbove(onA.ids, highest);
    const order = positions(onA, made);
    // Each process's own changes keep their order.
    expect(order[0] < order[2] && order[2] < order[4]).toBe(true);
    expect(order[1] < order[3] && order[3] < order[5]).toBe(true);

    // A client of A sees one more event, leaves, misses three, and resumes on B.
    const [seen] = await createLibraries([b]);
    const resumeFrom = await waitFor(leaving, seen);
    leaving.close();
    const missed = await createLibraries([a, b, a]);
    await waitFor(onB, missed[2]);
    const resumed = await stream(b, { lastEventId: resumeFrom });
    // A change after the resume: once it is there, everything before it is too.
    const [sentinel] = await createLibraries([a]);
    await Promise.all([resumed, onB].map((client) => waitFor(client, sentinel)));

    expect(resumed.events.map(view)).toEqual(after(onB, resumeFrom));
    expect(resumed.events.map((frame) => frame.event)).toEqual([
      'library',
      'library',
      'library',
      'library',
    ]);
    expect(positions(resumed, [...missed, sentinel])).toEqual([0, 1, 2, 3]);
    noteHighest(onA, onB, resumed);
  });

  it('keeps every Redis key under REDIS_PREFIX', async () => {
    const keys = await redis.keys();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !key.startsWith(`${prefix}:`))).toEqual([]);
  });

  it('applies a grant and a revoke made through B to open streams on A within a second', async () => {
    const [library, sentinelLibrary] = await createLibraries([a, a]);
    const user = await createUser(a);
    await grant(a, sentinelLibrary, user.id, 'read');
    const onA = await stream(a, { token: user.token });
    // Accounts are access state as well: B learns of the new user within the same second.
    await sleep(ACCESS_PROPAGATION_MS);

    const sentinel = async () => {
      const tag = await addTag(b, sentinelLibrary);
      await waitFor(onA, tag);
    };
    const hidden = await addTag(b, library);
    await sentinel();
    expect(naming(onA, library)).toEqual([]);

    await grant(b, library, user.id, 'read');
    await sleep(ACCESS_PROPAGATION_MS);
    const visible = await addTag(b, library);
    await waitFor(onA, visible);
    await sentinel();

    await grant(b, library, user.id, 'none');
    await sleep(ACCESS_PROPAGATION_MS);
    const revoked = await addTag(b, library);
    await sentinel();

    // The sentinels come after each tag in the one log: a tag that was due has arrived by then.
    const seen = naming(onA, library).map((frame) => frame.data ?? '');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain(visible);
    expect(seen.join()).not.toContain(hidden);
    expect(seen.join()).not.toContain(revoked);
    expect(onA.closed).toBe(false);
    noteHighest(onA);
  });

  it('tells readers on A of a library deleted through B, and ends the streams on A of a user deleted through B within a second', async () => {
    const [library] = await createLibraries([a]);
    const reader = await createUser(a);
    const doomed = await createUser(a);
    await grant(a, library, reader.id, 'read');
    const [readerOnA, doomedOnA] = await Promise.all([
      stream(a, { token: reader.token }),
      stream(a, { token: doomed.token }),
    ]);
    await sleep(ACCESS_PROPAGATION_MS);

    await asAdmin(b, 'delete', `/libraries/${library}`).expect(204);
    await waitFor(readerOnA, library);
    const [deleted] = naming(readerOnA, library);
    expect(deleted.event).toBe('library');
    expect(JSON.parse(deleted.data ?? '')).toMatchObject({
      Library: { action: 'Deleted', library: { id: library } },
    });

    await asAdmin(b, 'delete', `/users/${doomed.id}`).expect(204);
    // A little over the second, for the end to travel.
    await doomedOnA.waitUntil((c) => c.ended || c.closed, ACCESS_PROPAGATION_MS + 250);
    expect(doomedOnA.ended || doomedOnA.closed).toBe(true);
    expect(readerOnA.closed).toBe(false);
    noteHighest(readerOnA);
  });

  it('keeps streams open and changes queued while Redis is down, and delivers them once it is back, empty, without a restart of Reelay', async () => {
    const [onA, onB] = await Promise.all([stream(a), stream(b)]);
    // Ready before the outage (a process that just started may take a moment to get there).
    for (const server of [a, b]) {
      // oxlint-disable-next-line no-await-in-loop -- one process after the other
      await eventually(
        () => readiness(server),
        (ready) => ready.status === 200,
        READINESS_MS,
      );
    }

    let made: string[] = [];
    await redis.stop();
    try {
      for (const server of [a, b]) {
        // oxlint-disable-next-line no-await-in-loop -- one process after the other
        const down = await eventually(
          () => readiness(server),
          (ready) => ready.status === 503,
          READINESS_MS,
        );
        expect(down.body).toMatchObject({
          statusCode: 503,
          error: 'Service Unavailable',
          message: expect.stringMatching(/redis/i),
        });
        // oxlint-disable-next-line no-await-in-loop -- one process after the other
        await request(server.url).get('/health').expect(200);
      }
      // The HTTP calls succeed: their events wait in the outbox.
      made = await createLibraries([a, a, b]);

      const pingsNow = [pings(onA), pings(onB)];
      await Promise.all(
        [onA, onB].map((client, index) =>
          client.waitUntil((c) => pings(c) >= pingsNow[index] + 3, KEEPALIVE_MS * 10),
        ),
      );
      expect([onA.ended, onB.ended]).toEqual([false, false]);
    } finally {
      await redis.start();
    }

    await Promise.all(
      [onA, onB].flatMap((client) => made.map((library) => waitFor(client, library, RECOVERY_MS))),
    );
    for (const client of [onA, onB]) {
      const [first, second] = positions(client, made);
      expect(first).toBeLessThan(second);
      expectRisingAbove(client.ids, highest);
    }
    expect(after(onA, 0)).toEqual(after(onB, 0));
    for (const server of [a, b]) {
      // oxlint-disable-next-line no-await-in-loop -- one process after the other
      await eventually(
        () => readiness(server),
        (ready) => ready.status === 200,
        READINESS_MS,
      );
    }
    expect([onA.closed, onB.closed]).toEqual([false, false]);
    noteHighest(onA, onB);
  }, 60_000);

  it('keeps ids rising after FLUSHALL; a resume from before it gets exactly what it missed or resync first, never a gap', async () => {
    const [onA, onB, leaving] = await Promise.all([stream(a), stream(b), stream(a)]);
    const [seen] = await createLibraries([a]);
    const resumeFrom = await waitFor(leaving, seen);
    leaving.close();
    const [missed] = await createLibraries([b]);
    await Promise.all([onA, onB].map((client) => waitFor(client, missed)));
    const beforeFlush = Math.max(highest, ...onA.ids, ...onB.ids);

    await redis.flushAll();
    // Each change waits for its event: while the processes seed Redis again, a change's event
    // may leave after the next one's when they are made through different processes.
    const made: string[] = [];
    for (const server of [a, b, a]) {
      // oxlint-disable-next-line no-await-in-loop -- one change after another, each seen
      const [library] = await createLibraries([server]);
      // oxlint-disable-next-line no-await-in-loop -- as above
      await Promise.all([onA, onB].map((client) => waitFor(client, library, RECOVERY_MS)));
      made.push(library);
    }
    for (const client of [onA, onB]) {
      const afterFlush = made.map((library) => Number(naming(client, library)[0].id));
      expectRisingAbove(afterFlush, beforeFlush);
    }
    expect(after(onA, 0)).toEqual(after(onB, 0));

    const resumed = await stream(b, { lastEventId: resumeFrom });
    const [sentinel] = await createLibraries([a]);
    await Promise.all([resumed, onB].map((client) => waitFor(client, sentinel)));
    const got = resumed.events.map(view);
    const missedSince = after(onB, resumeFrom);
    // Without resync: every event the others saw since the resume point, nothing else. With it:
    // resync first, then the events from some point on, each and in order, through the sentinel.
    const resynced = got[0]?.event === 'resync';
    const rest = resynced ? got.slice(1) : got;
    expect(rest).toEqual(
      resynced ? missedSince.slice(missedSince.length - rest.length) : missedSince,
    );
    expect(rest.length).toBeGreaterThan(0);
    noteHighest(onA, onB, resumed);
  });

  it('goes on with the ids after both processes restart on the kept Redis; a resume from before gets exactly what it missed', async () => {
    const [onB, leaving] = await Promise.all([stream(b), stream(a)]);
    const [seen] = await createLibraries([b]);
    const resumeFrom = await waitFor(leaving, seen);
    leaving.close();
    const missed = await createLibraries([a, b]);
    await waitFor(onB, missed[1]);
    const beforeRestart = after(onB, resumeFrom);

    const stopped = await Promise.all([a.process.stop(), b.process.stop()]);
    expect(stopped.map((exit) => exit.code === 0 || exit.signal === 'SIGTERM')).toEqual([
      true,
      true,
    ]);
    [a, b] = await Promise.all([boot(), boot()]);
    const freshOnB = await stream(b);
    const [afterRestart] = await createLibraries([b]);
    await waitFor(freshOnB, afterRestart);
    const resumed = await stream(a, { lastEventId: resumeFrom });
    await waitFor(resumed, afterRestart);

    expect(resumed.events.map(view)).toEqual([...beforeRestart, ...after(freshOnB, 0)]);
    expect(positions(resumed, [...missed, afterRestart])).toEqual([0, 1, 2]);
    expectRisingAbove(resumed.ids, resumeFrom);
    expectRisingAbove(freshOnB.ids, Math.max(highest, ...onB.ids));
    noteHighest(onB, freshOnB, resumed);
  }, 60_000);

  it('carries on on B when A is killed with SIGKILL', async () => {
    const [onA, onB] = await Promise.all([stream(a), stream(b)]);
    const [beforeKill] = await createLibraries([a]);
    await Promise.all([onA, onB].map((client) => waitFor(client, beforeKill)));
    const seenBefore = Math.max(highest, ...onA.ids, ...onB.ids);

    expect((await a.process.kill()).signal).toBe('SIGKILL');
    const made = await createLibraries([b, b]);
    // A change's 201 comes before its event is back from Redis: the stream opens after both.
    await Promise.all(made.map((library) => waitFor(onB, library)));
    const freshOnB = await stream(b);
    made.push(...(await createLibraries([b])));
    await Promise.all(made.map((library) => waitFor(onB, library)));
    await waitFor(freshOnB, made[2]);

    const order = positions(onB, made);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expectRisingAbove(
      made.map((library) => Number(naming(onB, library)[0].id)),
      seenBefore,
    );
    expect(after(freshOnB, 0)).toEqual(after(onB, 0).slice(-1));
    expect(onB.closed).toBe(false);
  });
});
