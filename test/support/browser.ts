import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`; `.ci/run` installs it when missing). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Headless Chromium as the tests run it: without a sandbox (the tests may run as root), and with
 * no traffic of its own to the outside, which these machines refuse.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** An empty page on an origin of its own (`http://localhost:<port>`), for scripts to run in. */
export interface PageOrigin {
  readonly origin: string;
  close(): Promise<void>;
}

export async function servePageOrigin(): Promise<PageOrigin> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>page</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Serves a page whose script is `script` at `${origin}/__test/page.html`, from inside the browser
 * context (the request never reaches the server): the page is on the API's own origin, with its
 * cookies, as the dashboard is.
 */
export async function routeTestPage(
  context: BrowserContext,
  origin: string,
  script: string,
): Promise<string> {
  await context.route(`${origin}/__test/page.html`, (route) =>
    route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: '<!doctype html><title>test page</title><div id="root"></div><script type="module" src="/__test/page.js"></script>',
    }),
  );
  await context.route(`${origin}/__test/page.js`, (route) =>
    route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: script }),
  );
  return `${origin}/__test/page.html`;
}
