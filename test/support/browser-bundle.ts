import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Bundles a browser script (TypeScript or TSX, with what it imports: React, the client's
 * sources) into one ES module, in memory: the browser tests serve it on the API's own origin,
 * so that pages get its cookies and no CORS is involved.
 */
export async function bundleForBrowser(entry: URL): Promise<string> {
  const script = new URL('bundle-page.mjs', import.meta.url);
  const { stdout } = await run(process.execPath, [script.pathname, entry.pathname], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}
