import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Names the e2e run's log folder (made by log-capture.global-setup.ts): every test app and
 * spawned server writes its log under `logs/` there, every secret the suites were handed is
 * listed under `secrets/` (log-capture.ts), and this module, jest's globalTeardown, fails the
 * run if a log line holds one. Jest loads it outside the suites' module mapping, so it imports
 * nothing of the repository's.
 */
export const LOG_CAPTURE_ENV = 'REELAY_TEST_LOG_DIR';

/** A log line that holds a secret. */
export interface LeakedSecret {
  file: string;
  line: number;
  what: string;
}

/** Shorter runs of a secret could occur by chance in a log line; such secrets are left out. */
const MIN_SECRET_LENGTH = 10;
/** Secrets are compared as runs of these characters: base64url, hex, UUIDs, test passwords. */
const RUN = /[A-Za-z0-9_-]+/g;
/** Any signed JWT, whether a suite recorded it or not (forged and expired ones too). */
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;
/** A credential left in a URL or cookie string. */
const QUERY_CREDENTIAL = /(?<![\w-])(?:token|ticket|access_token)=(?!\[REDACTED\])[^&\s"';,]+/i;

function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
}

/** The recorded secrets, as the runs a log line would show them in. */
function recordedSecrets(runDir: string): Set<string> {
  const secrets = new Set<string>();
  for (const file of filesIn(join(runDir, 'secrets'))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      for (const run of (JSON.parse(line) as string).match(RUN) ?? []) {
        if (run.length >= MIN_SECRET_LENGTH) secrets.add(run);
      }
    }
  }
  return secrets;
}

/** Every string of a JSON line (keys and values), or the line itself when it is not JSON. */
function textsOf(line: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return [line];
  }
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        texts.push(key);
        walk(item);
      }
    }
  };
  walk(parsed);
  return texts;
}

function leakIn(text: string, secrets: ReadonlySet<string>): string | undefined {
  if (JWT.test(text)) return 'a JWT';
  if (QUERY_CREDENTIAL.test(text)) return 'a token= or ticket= value';
  for (const run of text.match(RUN) ?? []) {
    if (secrets.has(run)) return 'a password, token, cookie or ticket a suite used';
  }
  return undefined;
}

/** The lines of the run's logs that hold a secret. */
export function findLeakedSecrets(runDir: string): LeakedSecret[] {
  const secrets = recordedSecrets(runDir);
  const leaks: LeakedSecret[] = [];
  for (const file of filesIn(join(runDir, 'logs'))) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        for (const text of textsOf(line)) {
          const what = leakIn(text, secrets);
          if (what === undefined) continue;
          leaks.push({ file, line: index + 1, what });
          return;
        }
      });
  }
  return leaks;
}

const SHOWN = 20;

/**
 * Fails the run if any line the servers of the e2e suites logged holds a secret; otherwise
 * deletes the logs. A failed run keeps them, for the lines it names.
 */
export default function checkCapturedLogs(): void {
  // The run's server build (see log-capture.global-setup.ts) goes, whatever the logs hold.
  const build = process.env.REELAY_TEST_SERVER_BUILD;
  if (build !== undefined) rmSync(build, { recursive: true, force: true });
  const runDir = process.env[LOG_CAPTURE_ENV];
  if (runDir === undefined) return;
  const leaks = findLeakedSecrets(runDir);
  if (leaks.length === 0) {
    rmSync(runDir, { recursive: true, force: true });
    return;
  }
  const shown = leaks.slice(0, SHOWN).map(({ file, line, what }) => `  ${file}:${line}: ${what}`);
  const more = leaks.length > SHOWN ? [`  ... and ${leaks.length - SHOWN} more`] : [];
  throw new Error(
    [`${leaks.length} log lines of the e2e suites hold a secret:`, ...shown, ...more].join('\n'),
  );
}
