import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type TestApp } from './support/test-app.js';

const PAGE =
  '<!doctype html><title>Reelay</title><script type="module" src="/assets/app-1a2b.js"></script>';

describe('the dashboard served at /', () => {
  let workDir: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'reelay-dashboard-dir-'));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  describe('when it is built', () => {
    let t: TestApp;

    beforeAll(async () => {
      const built = join(workDir, 'built');
      mkdirSync(join(built, 'assets'), { recursive: true });
      writeFileSync(join(built, 'index.html'), PAGE);
      writeFileSync(join(built, 'assets', 'app-1a2b.js'), 'export {};');
      // Files named like API routes, which must not shadow them.
      writeFileSync(join(built, 'health'), 'not the health check');
      writeFileSync(join(built, 'libraries'), 'not the libraries');
      t = await createTestApp({ DASHBOARD_DIR: built });
    });
    afterAll(() => t.close());

    it('serves its page, asked for again on every load, under a strict content policy', async () => {
      const pages = await Promise.all(
        ['/', '/index.html'].map((path) => t.http().get(path).expect(200)),
      );
      for (const response of pages) {
        expect(response.text).toBe(PAGE);
        expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(response.headers['cache-control']).toBe('no-cache');
        expect(response.headers['content-security-policy']).toBe(
          "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        );
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['referrer-policy']).toBe('no-referrer');
      }
      await t.http().head('/').expect(200);
    });

    it('serves its hashed assets for good, and a missing one as a JSON 404', async () => {
      const asset = await t.http().get('/assets/app-1a2b.js').expect(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
      expect(asset.headers['x-content-type-options']).toBe('nosniff');

      const missing = await t.http().get('/assets/gone-9f8e.js').expect(404);
      expect(missing.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    });

    it('shadows no API route', async () => {
      expect((await t.http().get('/health').expect(200)).body).toEqual({ status: 'ok' });
      const libraries = await t.http().get('/libraries').expect(401);
      expect(libraries.body).toMatchObject({ statusCode: 401 });
      expect((await t.as(t.admin).get('/libraries').expect(200)).body).toEqual([]);
      expect((await t.http().get('/api/docs').expect(200)).text).toContain('swagger');
      const sse = await t.http().get('/sse').expect(401);
      expect(sse.headers['content-security-policy']).toBeUndefined();
      // Only GET and HEAD reach the page.
      expect((await t.http().post('/').expect(404)).body).toMatchObject({ statusCode: 404 });
    });
  });

  describe('when it is not built', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({ DASHBOARD_DIR: join(workDir, 'never-built') });
    });
    afterAll(() => t.close());

    it('answers / with a 404 that says so, and serves the API as ever', async () => {
      const response = await t.http().get('/').expect(404);
      expect(response.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message:
          'The dashboard is not built: run `npm run build`, or point DASHBOARD_DIR at its build',
      });
      expect(response.headers['content-security-policy']).toBeUndefined();
      await t.http().get('/health').expect(200);
      await t.as(t.admin).get('/libraries').expect(200);
    });
  });
});
