import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const ADDON = join(repoRoot, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');

/** The Node the servers run on, and how to undo what it took to run Reelay on it. */
export interface ServerNode {
  /** The binary; undefined means this process's own. */
  command?: string;
  version: string;
  restore(this: void): void;
}

/**
 * Prepares the servers' Node: this one, or the binary given with `--node`. A Node of another
 * ABI cannot load the better-sqlite3 addon npm built, so one built for its line
 * (scripts/node-line.sh) stands in for it until `restore()`. Only the servers load it: nothing
 * else may run from this tree meanwhile.
 */
export function prepareServerNode(command: string | undefined): ServerNode {
  if (command === undefined) return { version: process.version, restore: () => undefined };
  const [version, abi] = execFileSync(
    command,
    ['-p', 'process.version + " " + process.versions.modules'],
    {
      encoding: 'utf8',
    },
  )
    .trim()
    .split(' ');
  if (abi === process.versions.modules) return { command, version, restore: () => undefined };
  const major = version.replace(/^v/, '').split('.')[0];
  const [, addon] = execFileSync(join(repoRoot, 'scripts/node-line.sh'), [major], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n');
  const saved = join(mkdtempSync(join(tmpdir(), 'reelay-bench-addon-')), 'own.node');
  copyFileSync(ADDON, saved);
  copyFileSync(addon, ADDON);
  let restored = false;
  return {
    command,
    version,
    restore: () => {
      if (restored) return;
      restored = true;
      copyFileSync(saved, ADDON);
      rmSync(saved, { force: true });
    },
  };
}
