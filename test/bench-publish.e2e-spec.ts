import { BenchModule } from '../bench/reelay/bench.module.js';
import { RawSseClient } from './support/sse-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

describe('bench publish path', () => {
  describe('in the product', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('does not exist, even for a server admin', async () => {
      await t
        .http()
        .post('/bench/publish')
        .set('Authorization', `Bearer ${t.admin.token}`)
        .send({ count: 1 })
        .expect(404);
    });
  });

  describe("in the bench's own server, its module beside AppModule", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({}, [BenchModule]);
    });
    afterAll(() => t.close());

    it('publishes events through the real filter, to those who may read them', async () => {
      const [shown, hidden] = [await t.createLibrary(), await t.createLibrary()];
      const reader = await t.createUser();
      await t.grant(shown, reader.id, 'read');
      const client = await RawSseClient.open(t.baseUrl, '/sse', {
        Authorization: `Bearer ${reader.token}`,
      });
      await client.waitUntil((c) => c.body.includes('retry:'));

      const response = await t
        .http()
        .post('/bench/publish')
        .set('Authorization', `Bearer ${t.admin.token}`)
        .send({ count: 4, size: 600, libraries: [shown, hidden] })
        .expect(200);
      expect(response.body).toEqual({ published: 4 });

      await client.waitUntil((c) => (c.body.match(/event: medias\n/g) ?? []).length === 2);
      const frames = client.body.split('\n\n').filter((frame) => frame.includes('event: medias'));
      for (const frame of frames) {
        const data = /\ndata: (.*)$/.exec(frame)?.[1] ?? '';
        expect(data.length).toBeGreaterThan(580);
        expect(data.length).toBeLessThan(630);
        const { Medias } = JSON.parse(data) as {
          Medias: { library: string; medias: { media: { sentAt: number } }[] };
        };
        expect(Medias.library).toBe(shown);
        expect(Math.abs(Medias.medias[0].media.sentAt - Date.now())).toBeLessThan(5000);
      }
      expect(client.body).not.toContain(hidden);
      client.close();
    });

    it('publishes one event every intervalMs when asked to', async () => {
      const library = await t.createLibrary();
      const client = await RawSseClient.open(t.baseUrl, '/sse', {
        Authorization: `Bearer ${t.admin.token}`,
      });
      await client.waitUntil((c) => c.body.includes('retry:'));
      const asked = Date.now();
      await t
        .http()
        .post('/bench/publish')
        .set('Authorization', `Bearer ${t.admin.token}`)
        .send({ count: 3, intervalMs: 40, libraries: [library] })
        .expect(200, { published: 3 });
      await client.waitUntil((c) => (c.body.match(/event: medias\n/g) ?? []).length === 3);
      const sentAt = [...client.body.matchAll(/"sentAt":([0-9.]+)/g)].map((match) =>
        Number(match[1]),
      );
      expect(sentAt).toHaveLength(3);
      expect(sentAt[0]).toBeLessThanOrEqual(sentAt[1]);
      expect(sentAt[1]).toBeLessThanOrEqual(sentAt[2]);
      // Against the clock from the request: a late first timer makes the next ones catch up, so
      // only the last one's distance from the request is certain (less 5 ms between two clocks).
      expect(sentAt[2] - asked).toBeGreaterThanOrEqual(75);
      client.close();
    });

    it('spreads events over every library when none is named', async () => {
      const response = await t
        .http()
        .post('/bench/publish')
        .set('Authorization', `Bearer ${t.admin.token}`)
        .send({ count: 3 })
        .expect(200);
      expect(response.body).toEqual({ published: 3 });
    });

    it('is for server admins only', async () => {
      const user = await t.createUser();
      await t
        .http()
        .post('/bench/publish')
        .set('Authorization', `Bearer ${user.token}`)
        .send({ count: 1 })
        .expect(403);
      await t.http().post('/bench/publish').send({ count: 1 }).expect(401);
    });

    it.each([
      [{}],
      [{ count: 0 }],
      [{ count: 100_001 }],
      [{ count: 1, size: -1 }],
      [{ count: 1, libraries: [] }],
      [{ count: 1, libraries: [''] }],
      [{ count: 1, extra: true }],
      [{ count: 1, intervalMs: 0 }],
      [{ count: 100_000, intervalMs: 60_000 }],
    ])('refuses %j with a 400', async (body) => {
      const response = await t
        .http()
        .post('/bench/publish')
        .set('Authorization', `Bearer ${t.admin.token}`)
        .send(body)
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });
  });
});
