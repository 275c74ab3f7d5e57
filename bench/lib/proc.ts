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
