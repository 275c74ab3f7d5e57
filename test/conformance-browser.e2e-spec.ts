import type { ConsoleMessage, Page } from 'playwright-core';
import { EventsPublisher } from '../src/events/events.publisher.js';
import type { HookSeen } from './conformance/hook-seen.js';
import { type BrowserSuite, startBrowserSuite } from './support/browser-suite.js';
import {
  EVENT_NAMES,
  expectedData,
  publishMessage,
  sampleMessage,
} from './support/event-samples.js';
import { passes } from './support/eventually.js';
import type { TestApp } from './support/test-app.js';

/**
 * The API document's `SseClient` and `useSse` examples (test/conformance, changed only to compile
 * as modules), run in Chromium against the server, signed in with the `token` cookie.
 */
describe("the API document's client examples in Chromium", () => {
  let suite: BrowserSuite;
  let t: TestApp;
  let page: Page;
  let library: string;
  let otherLibrary: string;
  /** What the SseClient example logged: `Connected`, and `Received <name>:` with the data. */
  const logged: { text: string; data?: unknown }[] = [];

  async function record(message: ConsoleMessage): Promise<void> {
    const [, second] = message.args();
    logged.push({ text: message.text(), data: second ? await second.jsonValue() : undefined });
  }

  beforeAll(async () => {
    suite = await startBrowserSuite(new URL('./conformance/harness.page.tsx', import.meta.url));
    t = suite.t;
    [library, otherLibrary] = await Promise.all([t.createLibrary(), t.createLibrary()]);
    page = await suite.context.newPage();
    page.on('console', (message) => void record(message));
    await page.goto(`${suite.pageUrl}#${encodeURIComponent(library)}`);
  }, 60_000);
  afterAll(() => suite?.close());

  const hookSeen = () =>
    page.evaluate(() => (globalThis as unknown as { hookSeen: HookSeen }).hookSeen);

  it('SseClient connects and hands every event type to handleEvent with its documented data', async () => {
    await passes(() => expect(logged.map(({ text }) => text)).toContain('Connected'), 10_000);
    const publisher = t.app.get(EventsPublisher);
    const expected = EVENT_NAMES.map((name, tag) => {
      const message = sampleMessage(name, { library, userRef: t.admin.id, tag });
      publishMessage(publisher, name, message);
      return { name, data: expectedData(name, message, true) };
    });
    await passes(() => {
      const received = logged
        .filter(({ text }) => text.startsWith('Received '))
        .map(({ text, data }) => ({ name: /^Received (\S+):/.exec(text)?.[1], data }));
      expect(received).toEqual(expected);
    }, 10_000);
  });

  it("useSse opens the stream with the libraries filter, and MediaLibrary shows it's connected", async () => {
    await passes(async () => expect(await page.textContent('body')).toContain('Status: Connected'));
    const publisher = t.app.get(EventsPublisher);
    const media = (id: string, lib: string) =>
      publisher.medias(lib, [
        {
          action: 'Added',
          media: {
            ...sampleMessage('medias', { library: lib, userRef: t.admin.id, tag: 1 }).medias[0]
              .media,
            id,
          },
        },
      ]);
    const before = (await hookSeen()).events.length;
    media('elsewhere', otherLibrary);
    media('here', library);
    await passes(async () => {
      const events = (await hookSeen()).events.slice(before);
      expect(events.map(({ eventName }) => eventName)).toEqual(['medias']);
      expect(JSON.stringify(events[0].data)).toContain('"id":"here"');
    });
    expect((await hookSeen()).connected).toContain(true);
  });
});
