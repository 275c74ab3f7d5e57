import type { Page } from 'playwright-core';
import { EventsPublisher } from '../src/events/events.publisher.js';
import type { SeenBySessionPage } from './browser/page-records.js';
import { type BrowserSuite, startBrowserSuite } from './support/browser-suite.js';
import { passes } from './support/eventually.js';
import { ADMIN, type TestApp } from './support/test-app.js';

const SESSION_PAGE = new URL('./browser/session-stream.page.ts', import.meta.url);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const seenOf = (tab: Page) =>
  tab.evaluate(() => (globalThis as unknown as { seen: SeenBySessionPage }).seen);

describe('@reelay/client in Chromium with a session whose access tokens live 3 s', () => {
  let suite: BrowserSuite;
  let t: TestApp;
  let page: Page;

  beforeAll(async () => {
    suite = await startBrowserSuite(
      SESSION_PAGE,
      { JWT_TTL: '3', SSE_RETRY_MS: '200' },
      { signedIn: false },
    );
    t = suite.t;
    page = await suite.context.newPage();
    await page.goto(`${suite.pageUrl}#${encodeURIComponent(JSON.stringify(ADMIN))}`);
  }, 60_000);
  afterAll(() => suite?.close());

  const seenOn = () => seenOf(page);

  it('refreshes before each expiry and goes on streaming with nothing missed', async () => {
    await passes(async () => expect((await seenOn()).states).toContain('open'), 10_000);
    const library = await t.createLibrary();
    const publisher = t.app.get(EventsPublisher);
    const published: string[] = [];
    // Three token lifetimes of events, one every 100 ms.
    const until = Date.now() + 9000;
    for (let n = 0; Date.now() < until; n++) {
      publisher.tags(library, [{ action: 'Added', tag: { id: `${n}`, library, name: `${n}` } }]);
      published.push(`${n}`);
      // oxlint-disable-next-line no-await-in-loop -- events spread over time
      await sleep(100);
    }
    await passes(async () => expect((await seenOn()).tags).toEqual(published), 10_000);
    const { ids, states, expiries } = await seenOn();
    expect(ids.every((id, index) => index === 0 || id === ids[index - 1] + 1)).toBe(true);
    // Each stream ended with its token; the client came back with a refreshed one each time.
    expect(states.filter((state) => state === 'open').length).toBeGreaterThanOrEqual(3);
    expect(states).not.toContain('closed');
    expect(new Set(expiries).size).toBeGreaterThanOrEqual(3);
  });
});

describe('@reelay/client in Chromium: tabs of different users in one browser', () => {
  let suite: BrowserSuite;
  let t: TestApp;

  beforeAll(async () => {
    suite = await startBrowserSuite(SESSION_PAGE, {}, { signedIn: false });
    t = suite.t;
  }, 60_000);
  afterAll(() => suite?.close());

  it("shares a stream between tabs of one user only: another user's tab gets a stream of its own", async () => {
    const user = await t.createUser('user');
    const open = async (credentials: object) => {
      const tab = await suite.context.newPage();
      await tab.goto(
        `${suite.pageUrl}#${encodeURIComponent(JSON.stringify({ ...credentials, share: true }))}`,
      );
      await passes(
        async () =>
          expect(await seenOf(tab)).toMatchObject({ states: expect.arrayContaining(['open']) }),
        10_000,
      );
      return tab;
    };
    const connections = async () =>
      (
        (await t.as(t.admin).get('/events/stats').expect(200)).body as {
          sse: { connections: number };
        }
      ).sse.connections;
    const before = await connections();
    const [adminTab, otherAdminTab] = [await open(ADMIN), await open(ADMIN)];
    const userTab = await open(user);
    // The two admin tabs share one stream; the user's tab has its own.
    await passes(async () => expect(await connections()).toBe(before + 2));

    const library = await t.createLibrary();
    t.app
      .get(EventsPublisher)
      .tags(library, [{ action: 'Added', tag: { id: 'x', library, name: 'admins only' } }]);
    await passes(async () => {
      const seen = await Promise.all([adminTab, otherAdminTab].map(seenOf));
      for (const { tags } of seen) expect(tags).toContain('admins only');
    });
    await sleep(300);
    expect((await seenOf(userTab)).tags).toEqual([]);
  });
});
