import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, type PageOrigin, servePageOrigin } from './support/browser.js';
import { createTestApp, type TestApp } from './support/test-app.js';

/** How long a page may take to see what it should: under the test's own timeout, to say what. */
const WITHIN = { timeout: 10_000 };

/** What a page's EventSource saw: whether it opened or failed, and the `library` events. */
interface StreamSeen {
  state: 'connecting' | 'open' | 'failed';
  libraries: string[];
}

/** Opens `GET /sse` from the page with its cookies (`withCredentials`), recording what comes. */
async function openStream(page: Page, api: string): Promise<void> {
  await page.evaluate((url) => {
    const seen: StreamSeen = { state: 'connecting', libraries: [] };
    (globalThis as unknown as { seen: StreamSeen }).seen = seen;
    const source = new EventSource(url, { withCredentials: true });
    source.addEventListener('open', () => (seen.state = 'open'));
    source.addEventListener('error', () => {
      // A refused cross-origin answer ends the EventSource for good (no reconnection).
      if (source.readyState === EventSource.CLOSED) seen.state = 'failed';
    });
    source.addEventListener('library', (event) =>
      seen.libraries.push((event as MessageEvent).data as string),
    );
  }, `${api}/sse`);
}

function seenOn(page: Page): Promise<StreamSeen> {
  return page.evaluate(() => (globalThis as unknown as { seen: StreamSeen }).seen);
}

describe('CORS in Chromium: a page on another origin opening the stream with its cookie', () => {
  let browser: Browser;
  let context: BrowserContext;
  let listed: PageOrigin;
  let unlisted: PageOrigin;
  let t: TestApp;
  let api: string;

  beforeAll(async () => {
    [browser, listed, unlisted] = await Promise.all([
      launchChromium(),
      servePageOrigin(),
      servePageOrigin(),
    ]);
    t = await createTestApp({ CORS_ORIGINS: listed.origin });
    api = t.baseUrl.replace('127.0.0.1', 'localhost');
    context = await browser.newContext();
    // The cookie login sets (HttpOnly, SameSite=Strict); the pages are on the same site.
    await context.addCookies([
      {
        name: 'token',
        value: t.admin.token,
        url: api,
        httpOnly: true,
        sameSite: 'Strict',
      },
    ]);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await Promise.all([t?.close(), listed?.close(), unlisted?.close()]);
  });

  it('streams to a page of a listed origin, and refuses one of another origin', async () => {
    const [good, bad] = await Promise.all([context.newPage(), context.newPage()]);
    await Promise.all([good.goto(listed.origin), bad.goto(unlisted.origin)]);
    await Promise.all([openStream(good, api), openStream(bad, api)]);

    await good.waitForFunction(
      () => (globalThis as unknown as { seen: StreamSeen }).seen.state === 'open',
      undefined,
      WITHIN,
    );
    await bad.waitForFunction(
      () => (globalThis as unknown as { seen: StreamSeen }).seen.state === 'failed',
      undefined,
      WITHIN,
    );
    const library = await t.createLibrary({ name: 'Seen across origins' });
    await good.waitForFunction(
      () => (globalThis as unknown as { seen: StreamSeen }).seen.libraries.length > 0,
      undefined,
      WITHIN,
    );

    const goodSeen = await seenOn(good);
    expect(goodSeen.libraries.some((data) => data.includes(library))).toBe(true);
    const badSeen = await seenOn(bad);
    expect(badSeen).toEqual({ state: 'failed', libraries: [] });
  });
});
