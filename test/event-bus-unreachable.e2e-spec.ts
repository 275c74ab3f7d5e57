import { EventsPublisher } from '../src/events/events.publisher.js';
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
