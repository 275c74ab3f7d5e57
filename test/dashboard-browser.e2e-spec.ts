import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { AppConfig } from '../src/config/app-config.js';
import { APP_CONFIG } from '../src/config/config.provider.js';
import { launchChromium } from './support/browser.js';
import { eventually } from './support/eventually.js';
import { generatedBytes, streamUpload } from './support/multipart-upload.js';
import { ADMIN, createTestApp, type TestApp } from './support/test-app.js';

/** How long a page may take to show what it should: under the test's own timeout, to say what. */
const WITHIN = { timeout: 10_000 };
/** Longer than the dashboard's LIBRARY_POLL_MS, the only way it learns of a revoked grant. */
const POLL_WITHIN = { timeout: 20_000 };

const FOLDERS = 40;
const FILES_PER_FOLDER = 100;
const FILE_COUNT = FOLDERS * FILES_PER_FOLDER;

/** Roles whose nodes a person operates or reads a value from: each needs a name. */
const NAMED_ROLES = new Set(['textbox', 'button', 'progressbar', 'checkbox', 'combobox', 'link']);

interface AxNode {
  ignored: boolean;
  role?: { value?: string };
  name?: { value?: string };
}

/** The nodes of those roles that Chromium's accessibility tree gives no name. */
async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: AxNode[] };
    return nodes
      .filter((node) => !node.ignored && NAMED_ROLES.has(node.role?.value ?? ''))
      .filter((node) => (node.name?.value ?? '').trim() === '')
      .map((node) => node.role?.value ?? '');
  } finally {
    await cdp.detach();
  }
}

/** Signs in through the form, and waits for the stream to be live. */
async function signIn(page: Page, baseUrl: string, username: string, password: string) {
  await page.goto(baseUrl);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor(WITHIN);
}

/** Presses Tab until `target` has the focus; fails if ten presses do not get there. */
async function tabTo(page: Page, target: Locator, presses = 0): Promise<void> {
  if (await target.evaluate(hasFocus)) return;
  if (presses === 10) throw new Error('Tab did not reach the element in 10 presses');
  await page.keyboard.press('Tab');
  return tabTo(page, target, presses + 1);
}

/** The little of the DOM the scripts run in the page use: the tests compile without its types. */
interface PageElement {
  localName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
interface PageMutation {
  type: string;
  target: PageElement;
  oldValue: string | null;
}
interface PageWindow {
  document: {
    body: PageElement;
    activeElement: PageElement | null;
    getElementById(id: string): PageElement | null;
    querySelectorAll(selector: string): Iterable<PageElement>;
  };
  MutationObserver: new (callback: (records: PageMutation[]) => void) => {
    observe(target: PageElement, options: Record<string, unknown>): void;
  };
  barValues: number[];
}

const hasFocus = (element: unknown) =>
  element === (globalThis as unknown as PageWindow).document.activeElement;

/** Records, in the page, every value the progress bar labelled `label` shows, from now on. */
async function recordBar(page: Page, label: string): Promise<void> {
  await page.evaluate((wanted) => {
    const window = globalThis as unknown as PageWindow;
    const { document } = window;
    const values: number[] = (window.barValues = []);
    const isWanted = (node: PageElement) =>
      node.localName === 'progress' &&
      document.getElementById(node.getAttribute('aria-labelledby') ?? '')?.textContent === wanted;
    const push = (raw: string | null) => {
      if (raw === null) return;
      if (values.at(-1) !== Number(raw)) values.push(Number(raw));
    };
    // React may commit twice before the observer runs: each record's old value is the earlier
    // commit's, so that no value the bar showed is missed.
    new window.MutationObserver((records) => {
      for (const record of records) {
        if (record.type === 'attributes' && isWanted(record.target)) push(record.oldValue);
      }
      for (const bar of document.querySelectorAll('progress')) {
        if (isWanted(bar)) push(bar.getAttribute('value'));
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['value'],
      attributeOldValue: true,
    });
  }, label);
}

function barValues(page: Page): Promise<number[]> {
  return page.evaluate(() => (globalThis as unknown as PageWindow).barValues);
}

/** The lines of the selected library's activity feed, newest first. */
function feedLines(page: Page): Promise<string[]> {
  return page
    .getByRole('list', { name: 'Activity' })
    .first()
    .locator('.entry-text')
    .allTextContents();
}

describe('the dashboard in Chromium', () => {
  let browser: Browser;
  let t: TestApp;
  let workDir: string;
  let shows: string;
  let uploads: string;
  const contexts: BrowserContext[] = [];
  /** What the pages' Content-Security-Policy blocked: the built page needs nothing it forbids. */
  let blocked: string[] = [];

  const newPage = async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) blocked.push(message.text());
    });
    return page;
  };

  afterEach(() => {
    const seen = blocked;
    blocked = [];
    if (seen.length > 0) throw new Error(`The page's policy blocked:\n${seen.join('\n')}`);
  });

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'reelay-dashboard-'));
    const root = join(workDir, 'shows');
    for (let folder = 0; folder < FOLDERS; folder += 1) {
      mkdirSync(join(root, `season ${folder}`), { recursive: true });
      for (let file = 0; file < FILES_PER_FOLDER; file += 1) {
        writeFileSync(join(root, `season ${folder}`, `episode ${file}.mkv`), `${folder}-${file}`);
      }
    }
    [browser, t] = await Promise.all([launchChromium(), createTestApp()]);
    const { dashboardDir } = t.app.get<AppConfig>(APP_CONFIG);
    if (!existsSync(join(dashboardDir, 'index.html'))) {
      throw new Error('The dashboard is not built: npm run build -w @reelay/dashboard');
    }
    shows = await t.createLibrary({ name: 'Shows', type: 'shows', root });
    uploads = await t.createLibrary({ name: 'Holidays', type: 'photos' });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await t?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('signs in and out with the keyboard alone, and names every control', async () => {
    const page = await newPage();
    await page.goto(t.baseUrl);
    const username = page.getByLabel('Username');
    const password = page.getByLabel('Password');
    await username.waitFor(WITHIN);
    expect(await unnamedControls(page)).toEqual([]);

    // The form takes focus, Tab goes from field to field, Enter sends it.
    expect(await username.evaluate(hasFocus)).toBe(true);
    await page.keyboard.type(ADMIN.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type('not the password');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor(WITHIN);

    await password.fill('');
    await password.focus();
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press('Enter');
    const status = page.getByRole('status');
    await status.filter({ hasText: 'Live' }).waitFor(WITHIN);
    await page.getByRole('heading', { name: 'Shows' }).waitFor(WITHIN);
    expect(await page.getByText('Signed in as admin').count()).toBe(1);
    expect(await page.getByRole('button', { name: /^Holidays/ }).count()).toBe(1);
    expect(await unnamedControls(page)).toEqual([]);

    // Tab reaches the libraries; Enter selects one.
    const holidays = page.getByRole('button', { name: /^Holidays/ });
    await tabTo(page, holidays);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Holidays' }).waitFor(WITHIN);
    expect(await holidays.getAttribute('aria-current')).toBe('true');

    await page.getByRole('button', { name: 'Log out' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sign in to Reelay' }).waitFor(WITHIN);
  });

  it("shows the connection's state: reconnecting while the stream is cut off, live again after", async () => {
    const page = await newPage();
    await signIn(page, t.baseUrl, ADMIN.username, ADMIN.password);
    // The stream breaks, and every attempt to open it again fails until the route is let go.
    await page.route('**/sse**', (route) => route.abort('connectionreset'));
    t.app.getHttpServer().closeAllConnections();
    await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor(WITHIN);
    await page.unrouteAll();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 20_000 });
  }, 40_000);

  it("moves a scan's progress bar through its steps to the end, and tells the feed", async () => {
    const page = await newPage();
    await signIn(page, t.baseUrl, ADMIN.username, ADMIN.password);
    await page.getByRole('button', { name: /^Shows/ }).click();
    await page.getByRole('heading', { name: 'Shows' }).waitFor(WITHIN);
    await recordBar(page, 'Scan');

    await page.getByRole('button', { name: 'Scan now' }).click();
    const complete = `Scan complete: ${FILE_COUNT} added, 0 updated, 0 removed`;
    await page.getByText(complete, { exact: true }).first().waitFor({ timeout: 30_000 });

    const bar = page.getByRole('progressbar', { name: 'Scan' });
    expect(await bar.getAttribute('value')).toBe('100');
    expect(await page.locator('.task[data-kind="scan"] .task-state').textContent()).toBe('Done');
    const values = await barValues(page);
    expect(values.at(-1)).toBe(100);
    expect(values.some((value) => value > 0 && value < 100)).toBe(true);
    expect(values).toEqual([...values].sort((a, b) => a - b));

    const lines = await feedLines(page);
    expect(lines[0]).toBe(complete);
    expect(lines).toContain('Scan started');
    expect(lines.filter((line) => line.startsWith('Added 500 medias: '))).toHaveLength(
      FILE_COUNT / 500,
    );
    expect(await unnamedControls(page)).toEqual([]);
  }, 60_000);

  it('shows an upload in the feed as it goes and when it is done', async () => {
    const page = await newPage();
    await signIn(page, t.baseUrl, ADMIN.username, ADMIN.password);
    await page.getByRole('button', { name: /^Holidays/ }).click();
    await page.getByRole('heading', { name: 'Holidays' }).waitFor(WITHIN);

    const chunks = 16;
    const chunkSize = 256 * 1024;
    const upload = streamUpload(t.baseUrl, `/libraries/${uploads}/upload`, {
      token: t.admin.token,
      fields: { size: String(chunks * chunkSize) },
      fileName: 'beach day.jpg',
      mimetype: 'image/jpeg',
      file: generatedBytes(chunks, chunkSize),
      fileSize: chunks * chunkSize,
    });
    expect((await upload.response).status).toBe(201);

    await page.getByText('Added media beach day.jpg', { exact: true }).waitFor(WITHIN);
    const lines = await feedLines(page);
    expect(lines.slice(0, 2)).toEqual([
      'Added media beach day.jpg',
      'Upload of beach day.jpg finished',
    ]);
    expect(lines).toContain('Upload of beach day.jpg started');
    const bar = page.getByRole('progressbar', { name: 'Upload of beach day.jpg' });
    expect(await bar.getAttribute('value')).toBe('100');
    expect(await page.locator('.task[data-kind="upload"] .task-state').textContent()).toBe('Done');
  });

  it("drops a library from a reader's list once the grant is revoked", async () => {
    const reader = await t.createUser();
    await t.grant(shows, reader.id, 'read');
    const page = await newPage();
    await signIn(page, t.baseUrl, reader.username, reader.password);
    const showsButton = page.getByRole('button', { name: /^Shows/ });
    await showsButton.waitFor(WITHIN);
    expect(await page.getByRole('button', { name: /^Holidays/ }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Shows' }).count()).toBe(1);
    // A reader may not scan, and sees no server-wide activity.
    expect(await page.getByRole('button', { name: 'Scan now' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Server' }).count()).toBe(0);

    await t.grant(shows, reader.id, 'none');
    await showsButton.waitFor({ state: 'detached', ...POLL_WITHIN });
    await page.getByText('No library is shared with you yet.').waitFor(WITHIN);
    expect(await page.getByRole('heading', { name: 'Shows' }).count()).toBe(0);
    await eventually(
      () => page.getByRole('status').textContent(),
      (text) => text?.includes('Live') === true,
    );
  }, 40_000);
});
