import { EventsPublisher } from '../src/events/events.publisher.js';
import { RedisServer, uniquePrefix } from './support/redis-server.js';
import { SseFrameClient } from './support/sse-frame-client.js';
import { ADMIN, createTestApp, type TestApp } from './support/test-app.js';

/** Nothing listens on port 1: the Redis of this app is away from the start. */
const NO_REDIS = 'redis://127.0.0.1:1';

describe('EVENT_BUS=redis with Redis away', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ EVENT_BUS: 'redis', REDIS_URL: NO_REDIS, REDIS_PREFIX: 'away' });
  }, 20_000);
  afterAll(() => t.close());

  it('starts, stays alive, and is not ready: /health/ready names Redis', async () => {
    await t.http().get('/health').expect(200, { status: 'ok' });
    const ready = await t.http().get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect((ready.body as { message: string }).message).toMatch(/event bus cannot reach redis/);
  });

  it('takes changes while its outbox has room, then refuses them with 503 before committing', async () => {
    await t.as(t.admin).post('/libraries').send({ name: 'Queued', type: 'photos' }).expect(201);

    const publisher = t.app.get(EventsPublisher);
    for (let index = 0; index < 50_000; index++) publisher.tags('somewhere', []);
    const before = await t.as(t.admin).get('/libraries').expect(200);
    const refused = await t
      .as(t.admin)
      .post('/libraries')
      .send({ name: 'Refused', type: 'photos' })
      .expect(503);
    expect(refused.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Changes are paused: events wait for the event bus (Redis) to come back',
    });
    expect(refused.headers['retry-after']).toBe('5');
    const after = await t.as(t.admin).get('/libraries').expect(200);
    expect(after.body).toEqual(before.body);
    await t.http().post('/auth/login').send(ADMIN).expect(200);
  });
});

describe('EVENT_BUS=redis, started while Redis is away', () => {
  const redis = new RedisServer();
  const prefix = uniquePrefix();
  let early: TestApp | undefined;
  let late: TestApp | undefined;

  afterAll(async () => {
    await late?.close({ keepData: true });
    await early?.close();
    await redis.stop();
  });

  it('reads the stream once Redis comes: its clients get resync, then the same ids as a process started after', async () => {
    await redis.start();
    await redis.stop();
    early = await createTestApp({ EVENT_BUS: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: prefix });
    const waiting = await SseFrameClient.stream(early.baseUrl, '/sse', early.admin.token);
    await redis.start();
    late = await createTestApp({
      EVENT_BUS: 'redis',
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      DATA_DIR: early.dataDir,
    });
    const watching = await SseFrameClient.stream(late.baseUrl, '/sse', late.admin.token);
    const library = await late.createLibrary({ name: 'After the wait' });
    for (let index = 0; index < 3; index++) early.app.get(EventsPublisher).tags(library, []);
    await watching.waitUntil((client) => client.events.length >= 4, 15_000);
    expect(
      watching.ids.every((id, index) => index === 0 || id === watching.ids[index - 1] + 1),
    ).toBe(true);
    // What went by before the early process could read the stream is not replayed live: its
    // clients are told to reload, and get what follows.
    await waiting.waitUntil((client) => client.events.some((frame) => frame.event === 'resync'));
    early.app.get(EventsPublisher).tags(library, []);
    const marker = (watching.ids.at(-1) as number) + 1;
    await Promise.all([waiting.waitForId(marker, 15_000), watching.waitForId(marker, 15_000)]);
    expect(waiting.events.at(-1)).toEqual(watching.events.at(-1));
    waiting.close();
    watching.close();
  }, 40_000);
});
