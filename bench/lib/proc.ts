import { readFileSync } from 'node:fs';

/** Resident memory in bytes from the text of /proc/PID/status (its `VmRSS:` line, in kB). */
export function parseVmRssBytes(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error('no VmRSS line in /proc status');
  return Number(match[1]) * 1024;
}

/**
 * User plus system CPU time in clock ticks from the text of /proc/PID/stat. The second field
 * (the command name) is in parentheses and may hold spaces or parentheses itself, so the
 * fields are counted from the last `)`: utime and stime are fields 14 and 15.
 */
export function parseCpuTicks(stat: string): number {
  const end = stat.lastIndexOf(')');
  if (end < 0) throw new Error('malformed /proc stat');
  const fields = stat
    .slice(end + 2)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('malformed /proc stat');
  return utime + stime;
}

/** Linux reports CPU times in USER_HZ ticks, 100 per second on every mainstream build. */
export const CLOCK_TICKS_PER_SECOND = 100;

export function rssBytes(pid: number): number {
  return parseVmRssBytes(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

export function cpuSeconds(pid: number): number {
  return parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / CLOCK_TICKS_PER_SECOND;
}

export interface RestingRssOptions {
  /** A fall of this share below the first reading shows that the reducer has run. */
  minDrop: number;
  /** How long the RSS must then hold (within 1%) to count as at rest. */
  stableMs: number;
  pollMs: number;
  /** Gives up waiting for a fall after this long and takes the RSS as it is then. */
  maxMs: number;
}

export const RESTING_RSS: RestingRssOptions = {
  minDrop: 0.03,
  stableMs: 3000,
  pollMs: 500,
  maxMs: 40_000,
};

/**
 * The RSS a quiet process comes to rest at. V8 keeps the heap pages that a burst of allocation
 * grew until its memory reducer runs, 10 to 25 s after the process goes quiet (measured here),
 * and gives them back then; RSS read before that counts what the burst left, not what the
 * process holds. Waits for the fall and for the RSS to hold, or `maxMs` if it never falls.
 */
export async function restingRss(
  read: () => number,
  wait: (ms: number) => Promise<unknown>,
  options: RestingRssOptions = RESTING_RSS,
): Promise<{ rss: number; waitedMs: number }> {
  const first = read();
  let held = first;
  let heldForMs = 0;
  let fell = false;
  for (let waitedMs = 0; waitedMs < options.maxMs;) {
    // oxlint-disable-next-line no-await-in-loop -- one reading per interval, on purpose
    await wait(options.pollMs);
    waitedMs += options.pollMs;
    const rss = read();
    if (rss <= first * (1 - options.minDrop)) fell = true;
    if (Math.abs(rss - held) > held * 0.01) {
      held = rss;
      heldForMs = 0;
    } else {
      heldForMs += options.pollMs;
    }
    if (fell && heldForMs >= options.stableMs) return { rss, waitedMs };
  }
  return { rss: read(), waitedMs: options.maxMs };
}
