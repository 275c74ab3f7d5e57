import { createTestApp, type TestApp } from './support/test-app.js';
import { RawSseClient, RecordingEventSource } from './support/sse-client.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('streams a library event', async () => {
    const es = new RecordingEventSource(`${t.baseUrl}/sse?token=${t.admin.token}`, ['library']);
    await es.opened();
    const raw = await RawSseClient.open(t.baseUrl, '/sse', {
      Authorization: `Bearer ${t.admin.token}`,
    });
    const id = await t.createLibrary({ name: 'x' });
    const events = await es.waitFor(1);
    expect(events[0]).toMatchObject({ type: 'library', id: '1' });
    await raw.waitUntil((c) => c.body.includes('id: 1'));
    expect(raw.body).toContain(`"id":"${id}"`);
    es.close();
    raw.close();
  });
});
