import type { Browser, BrowserContext, Page } from 'playwright-core';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { launchChromium, routeTestPage } from './support/browser.js';
import { bundleForBrowser } from './support/browser-bundle.js';
import { passes } from './support/eventually.js';
import { createTestApp, type TestApp } from './support/test-app.js';

describe("@reelay/client's React hooks in Chromium", () => {
  let browser: Browser;
  let context: BrowserContext;
  let t: TestApp;
  let page: Page;

  beforeAll(async () => {
    let script: string;
    [browser, script, t] = await Promise.all([
      launchChromium(),
      bundleForBrowser(new URL('./browser/react-hooks.page.tsx', import.meta.url)),
      createTestApp(),
    ]);
    context = await browser.newContext();
    await context.addCookies([
      { name: 'token', value: t.admin.token, url: t.baseUrl, httpOnly: true, sameSite: 'Strict' },
    ]);
    page = await context.newPage();
    await page.goto(await routeTestPage(context, t.baseUrl, script));
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  it('render the connection state, and each event once, in StrictMode (mounted twice in development)', async () => {
    await passes(async () => expect(await page.getByRole('status').textContent()).toBe('open'));
    const stats = await t.as(t.admin).get('/events/stats').expect(200);
    expect((stats.body as { sse: { connections: number } }).sse.connections).toBe(1);
    const library = await t.createLibrary();
    const publisher = t.app.get(EventsPublisher);
    for (const name of ['one', 'two', 'three']) {
      publisher.tags(library, [{ action: 'Added', tag: { id: name, library, name } }]);
    }
    await passes(async () =>
      expect(
        await page.getByRole('list', { name: 'tags' }).getByRole('listitem').allTextContents(),
      ).toEqual(['one', 'two', 'three']),
    );
  });
});
