import request from 'supertest';
import { MetricsModule } from '../src/metrics/metrics.module.js';
import { passes } from './support/eventually.js';
import { Scrape } from './support/prometheus-text.js';
import { SseFrameClient } from './support/sse-frame-client.js';
import { RecordingSocket } from './support/socketio-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const METRICS_TOKEN = 'metrics-token-for-the-tests-0123456789abcdef';

/** How much each of `samples` grew between two scrapes. */
function growth(before: Scrape, after: Scrape, samples: [string, Record<string, string>][]) {
  return samples.map(
    ([name, labels]) => (after.find(name, labels) ?? 0) - (before.find(name, labels) ?? 0),
  );
}

describe('GET /metrics (Prometheus)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN, METRICS_PORT: '0' });
  });
  afterAll(() => t.close());

  async function scrape(): Promise<Scrape> {
    const response = await t
      .http()
      .get('/metrics')
      .set('Authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return new Scrape(response.text);
  }

  it('counts exactly the events a known workload published, delivered and replayed', async () => {
    const before = await scrape();
    const sse = await Promise.all(
      [1, 2, 3].map(() => SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token)),
    );
    const sockets = await Promise.all(
      [1, 2].map(() => RecordingSocket.open(t.baseUrl, { query: { token: t.admin.token } })),
    );
    await passes(async () => {
      const now = await scrape();
      expect(now.value('reelay_stream_connections', { transport: 'sse' })).toBe(3);
      expect(now.value('reelay_stream_connections', { transport: 'socketio' })).toBe(2);
    });
    for (const name of ['One', 'Two', 'Three', 'Four']) {
      // oxlint-disable-next-line no-await-in-loop -- one event after another
      await t.createLibrary({ name });
    }
    await Promise.all(sse.map((client) => client.waitUntil((c) => c.events.length === 4)));
    await Promise.all(sockets.map((client) => client.waitFor(4)));
    const firstId = sse[0].ids[0];
    const resumed = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token, {
      headers: { 'Last-Event-ID': String(firstId) },
    });
    await resumed.waitUntil((c) => c.events.length === 3);
    const ahead = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token, {
      headers: { 'Last-Event-ID': String(firstId + 1000) },
    });
    await ahead.waitUntil((c) => c.frames.some((frame) => frame.event === 'resync'));
    const after = await scrape();

    expect(
      growth(before, after, [
        ['reelay_events_published_total', { type: 'library' }],
        ['reelay_event_deliveries_total', { transport: 'sse' }],
        ['reelay_event_deliveries_total', { transport: 'socketio' }],
        ['reelay_stream_resumes_total', { transport: 'sse' }],
        ['reelay_stream_resyncs_total', { transport: 'sse' }],
        ['reelay_events_skipped_total', { transport: 'sse' }],
        [
          'reelay_http_request_duration_seconds_count',
          {
            method: 'POST',
            route: '/libraries',
            status: '201',
          },
        ],
      ]),
      // Live: 4 events to 3 + 2 streams; replayed: 3 after the first id, and all 4 after the resync.
    ).toEqual([4, 3 * 4 + 3 + 4, 2 * 4, 2, 1, 0, 4]);
    expect(after.value('reelay_events_published_total', { type: 'medias' })).toBe(0);
    expect(after.value('reelay_last_event_id')).toBe(firstId + 3);
    expect(after.value('reelay_event_history_events')).toBeGreaterThanOrEqual(4);
    expect(after.value('reelay_event_history_bytes')).toBeGreaterThan(0);
    expect(after.value('reelay_stream_connections', { transport: 'sse' })).toBe(5);
    expect(after.value('reelay_stream_queued_bytes', { transport: 'sse' })).toBe(0);
    // Only with EVENT_BUS=redis (test/workers.e2e-spec.ts).
    expect(after.find('reelay_event_bus_read_lag')).toBeUndefined();
    expect(after.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(after.find('nodejs_eventloop_lag_seconds')).toBeDefined();

    for (const client of [...sse, resumed, ahead]) client.close();
    await Promise.all(sockets.map((client) => client.close()));
    await passes(async () => {
      const now = await scrape();
      expect(now.value('reelay_stream_connections', { transport: 'sse' })).toBe(0);
      expect(now.value('reelay_stream_connections', { transport: 'socketio' })).toBe(0);
    });
  });

  it('answers server admins and METRICS_TOKEN only, and counts the refusals by reason', async () => {
    const before = await scrape();
    const user = await t.createUser();
    const refused = await t.http().get('/metrics').expect(401);
    expect(refused.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    await t.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}x`).expect(401);
    await t.as(user).get('/metrics').expect(403);
    await t
      .http()
      .post('/auth/login')
      .send({ username: user.username, password: 'wrong-1' })
      .expect(401);
    const admin = await t.as(t.admin).get('/metrics').expect(200);
    expect(admin.text).toContain('reelay_event_deliveries_total');
    const after = await scrape();
    expect(
      growth(before, after, [
        ['reelay_auth_failures_total', { reason: 'missing' }],
        ['reelay_auth_failures_total', { reason: 'invalid' }],
        ['reelay_auth_failures_total', { reason: 'password' }],
      ]),
    ).toEqual([1, 1, 1]);
  });

  it('serves the same metrics without credentials on METRICS_PORT, and nothing else there', async () => {
    const port = t.app.get(MetricsModule).listenerPort;
    expect(port).toBeGreaterThan(0);
    const metricsUrl = `http://127.0.0.1:${port}`;
    const response = await request(metricsUrl).get('/metrics').expect(200);
    expect(new Scrape(response.text).value('reelay_stream_connections', { transport: 'sse' })).toBe(
      0,
    );
    const other = await request(metricsUrl).get('/libraries').expect(404);
    expect(JSON.parse(other.text)).toMatchObject({ statusCode: 404, error: 'Not Found' });
    await request(metricsUrl).post('/metrics').expect(405);
  });
});
