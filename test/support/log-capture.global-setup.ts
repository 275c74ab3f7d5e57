import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Makes the e2e run's log folder; the workers jest starts next inherit its name. The variable is
 * log-capture.global-teardown.ts's LOG_CAPTURE_ENV, spelt out: jest loads this module outside the
 * suites' module mapping, where the repository's `.js` imports do not resolve.
 */
export default function setUpLogCapture(): void {
  process.env.REELAY_TEST_LOG_DIR = mkdtempSync(join(tmpdir(), 'reelay-e2e-logs-'));
  // Where the run's one server build goes, made by the first suite that needs it
  // (test/support/server-process.ts, SHARED_BUILD_ENV).
  process.env.REELAY_TEST_SERVER_BUILD = join(tmpdir(), `reelay-build-${randomUUID()}`);
}
