import type { Browser, BrowserContext } from 'playwright-core';
import type { AppConfigOverrides } from '../../src/config/config.provider.js';
import { launchChromium, routeTestPage } from './browser.js';
import { bundleForBrowser } from './browser-bundle.js';
import { createTestApp, type TestApp } from './test-app.js';

/** Chromium, a server, and a test page of the server's origin in a fresh browser profile. */
export interface BrowserSuite {
  browser: Browser;
  context: BrowserContext;
  t: TestApp;
  /** The page's address (`${origin}/__test/page.html`). */
  pageUrl: string;
  close(): Promise<void>;
}

/**
 * Starts what a browser test of a page script needs, side by side: Chromium, the page's bundle
 * and a server (with `overrides`); the profile holds the admin's `token` cookie unless
 * `signedIn` is false (pages that log in themselves).
 */
export async function startBrowserSuite(
  page: URL,
  overrides: AppConfigOverrides = {},
  { signedIn = true } = {},
): Promise<BrowserSuite> {
  const [browser, script, t] = await Promise.all([
    launchChromium(),
    bundleForBrowser(page),
    createTestApp(overrides),
  ]);
  const context = await browser.newContext();
  if (signedIn) {
    await context.addCookies([
      { name: 'token', value: t.admin.token, url: t.baseUrl, httpOnly: true, sameSite: 'Strict' },
    ]);
  }
  const pageUrl = await routeTestPage(context, t.baseUrl, script);
  return {
    browser,
    context,
    t,
    pageUrl,
    async close() {
      await context.close();
      await browser.close();
      await t.close();
    },
  };
}
