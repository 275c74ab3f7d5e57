import type { Page } from 'playwright-core';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { type BrowserSuite, startBrowserSuite } from './support/browser-suite.js';
import { passes } from './support/eventually.js';
import type { TestApp } from './support/test-app.js';

describe("@reelay/client's React hooks in Chromium", () => {
  let suite: BrowserSuite;
  let t: TestApp;
  let page: Page;

  beforeAll(async () => {
    suite = await startBrowserSuite(new URL('./browser/react-hooks.page.tsx', import.meta.url));
    t = suite.t;
    page = await suite.context.newPage();
    await page.goto(suite.pageUrl);
  }, 60_000);
  afterAll(() => suite?.close());

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
