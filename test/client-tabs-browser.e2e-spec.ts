import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { EventsPublisher } from '../src/events/events.publisher.js';
import type { SeenByPage } from './browser/page-records.js';
import { launchChromium, routeTestPage } from './support/browser.js';
import { bundleForBrowser } from './support/browser-bundle.js';
import { passes } from './support/eventually.js';
import { freePort } from './support/server-process.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function seenOn(page: Page): Promise<SeenByPage> {
  return page.evaluate(() => (globalThis as unknown as { seen: SeenByPage }).seen);
}

/** Each id one more than the one before: no gap, no duplicate. */
function consecutive(ids: number[]): boolean {
  return ids.every((id, index) => index === 0 || id === ids[index - 1] + 1);
}

describe('@reelay/client in Chromium', () => {
  let browser: Browser;
  let script: string;

  beforeAll(async () => {
    [browser, script] = await Promise.all([
      launchChromium(),
      bundleForBrowser(new URL('./browser/shared-stream.page.ts', import.meta.url)),
    ]);
  }, 60_000);
  afterAll(() => browser?.close());

  /** A browser profile signed in to `t` (the `token` cookie login sets), and its test page. */
  async function signedIn(t: TestApp): Promise<{ context: BrowserContext; page: string }> {
    const context = await browser.newContext();
    await context.addCookies([
      { name: 'token', value: t.admin.token, url: t.baseUrl, httpOnly: true, sameSite: 'Strict' },
    ]);
    return { context, page: await routeTestPage(context, t.baseUrl, script) };
  }

  describe('three tabs', () => {
    let t: TestApp;
    let context: BrowserContext;

    beforeAll(async () => {
      t = await createTestApp({ SSE_RETRY_MS: '300' });
    });
    afterAll(async () => {
      await context?.close();
      await t?.close();
    });

    async function sseConnections(): Promise<number> {
      const response = await t.as(t.admin).get('/events/stats').expect(200);
      return (response.body as { sse: { connections: number } }).sse.connections;
    }

    it('share one stream; every tab gets every event; when the leader closes another resumes with no gap and no duplicate', async () => {
      const publisher = t.app.get(EventsPublisher);
      const library = await t.createLibrary();
      const published: string[] = [];
      const tag = (name: string) => {
        publisher.tags(library, [{ action: 'Added', tag: { id: name, library, name } }]);
        published.push(name);
      };
      let page: string;
      ({ context, page } = await signedIn(t));
      const tabs = await Promise.all([1, 2, 3].map(() => context.newPage()));
      for (const tab of tabs) {
        // One after another, so the first is the leader the others find.
        // oxlint-disable-next-line no-await-in-loop
        await tab.goto(page);
      }
      await passes(async () => {
        const states = await Promise.all(tabs.map(async (tab) => (await seenOn(tab)).status));
        expect(states.map((status) => status?.state)).toEqual(['open', 'open', 'open']);
      }, 10_000);
      expect(await sseConnections()).toBe(1);

      for (let n = 0; n < 10; n++) tag(`before-${n}`);
      await passes(async () => {
        const now = await Promise.all(tabs.map(seenOn));
        for (const { tags } of now) expect(tags).toEqual(published);
      }, 10_000);
      const seen = await Promise.all(tabs.map(seenOn));
      const leaders = tabs.filter((_tab, index) => seen[index].status?.leader);
      expect(leaders).toHaveLength(1);

      await leaders[0].close();
      const rest = tabs.filter((tab) => tab !== leaders[0]);
      // Events keep coming while another tab takes over.
      for (let n = 0; n < 30; n++) {
        tag(`during-${n}`);
        // oxlint-disable-next-line no-await-in-loop
        await sleep(50);
      }
      await passes(async () => {
        const now = await Promise.all(rest.map(seenOn));
        for (const { tags } of now) expect(tags).toEqual(published);
      }, 10_000);
      const after = await Promise.all(rest.map(seenOn));
      for (const { ids } of after) expect(consecutive(ids)).toBe(true);
      expect(after.filter(({ status }) => status?.leader)).toHaveLength(1);
      await passes(async () => expect(await sseConnections()).toBe(1));
    });
  });

  describe('a server restart mid-stream', () => {
    it('resumes with exactly the events it missed', async () => {
      const PORT = String(await freePort());
      const first = await createTestApp({ PORT, SSE_RETRY_MS: '300' });
      const { dataDir } = first;
      const library = await first.createLibrary();
      const published: string[] = [];
      const tag = (t: TestApp, name: string) => {
        t.app
          .get(EventsPublisher)
          .tags(library, [{ action: 'Added', tag: { id: name, library, name } }]);
        published.push(name);
      };
      const { context, page } = await signedIn(first);
      let second: TestApp | undefined;
      try {
        const tab = await context.newPage();
        await tab.goto(page);
        await passes(async () => expect((await seenOn(tab)).status?.state).toBe('open'), 10_000);
        for (let n = 0; n < 5; n++) tag(first, `before-${n}`);
        await passes(async () => expect((await seenOn(tab)).tags).toEqual(published), 10_000);

        await first.close({ keepData: true });
        await passes(async () => expect((await seenOn(tab)).status?.state).toBe('reconnecting'));
        second = await createTestApp({ PORT, SSE_RETRY_MS: '300', DATA_DIR: dataDir });
        // Published before the page is back: it gets them from the event log when it resumes.
        for (let n = 0; n < 5; n++) tag(second, `missed-${n}`);
        await passes(async () => expect((await seenOn(tab)).status?.state).toBe('open'), 10_000);
        for (let n = 0; n < 5; n++) tag(second, `after-${n}`);

        await passes(async () => expect((await seenOn(tab)).tags).toEqual(published), 10_000);
        const { ids, status } = await seenOn(tab);
        expect(consecutive(ids)).toBe(true);
        expect(status?.resyncs).toBe(0);
      } finally {
        await context.close();
        await second?.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
