import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory in bytes from the text of /proc/PID/status (its `VmRSS:` line, in kB). */
export function parseVmRssBytes(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error('no VmRSS line in /proc status');
  return Number(match[1]) * 1024;
}

/**
 * User and system CPU time in clock ticks from the text of /proc/PID/stat. The second field
 * (the command name) is in parentheses and may hold spaces or parentheses itself, so the
 * fields are counted from the last `)`: utime and stime are fields 14 and 15.
 */
export function parseCpuTimes(stat: string): { user: number; system: number } {
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
  return { user: utime, system: stime };
}

/** User plus system CPU time in clock ticks (see parseCpuTimes). */
export function parseCpuTicks(stat: string): number {
  const { user, system } = parseCpuTimes(stat);
  return user + system;
}

/** Linux reports CPU times in USER_HZ ticks, 100 per second on every mainstream build. */
export const CLOCK_TICKS_PER_SECOND = 100;

export function rssBytes(pid: number): number {
  return parseVmRssBytes(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

export function cpuSeconds(pid: number): number {
  return parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / CLOCK_TICKS_PER_SECOND;
}

/** The kernel's share of a process's CPU time: system calls, and what they do (loopback TCP). */
export function systemCpuSeconds(pid: number): number {
  return parseCpuTimes(readFileSync(`/proc/${pid}/stat`, 'utf8')).system / CLOCK_TICKS_PER_SECOND;
}

/** The children of a process, from each of its threads' /proc/PID/task/TID/children. */
function childPids(pid: number): number[] {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const thread of threads) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').trim();
      if (text !== '') children.push(...text.split(/\s+/).map(Number));
    } catch {
      // the thread ended meanwhile
    }
  }
  return children;
}

/** A process and all its descendants (a cluster's primary and its workers), parents first. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) tree.push(...childPids(tree[index]));
  return tree;
}

/** Sums a reading over the processes, skipping those that ended meanwhile. */
function sumOver(pids: readonly number[], read: (pid: number) => number): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += read(pid);
    } catch {
      // gone
    }
  }
  return total;
}

/** CPU seconds of a process and its descendants (what they used so far, not the dead ones). */
export function treeCpuSeconds(pid: number): number {
  return sumOver(processTree(pid), cpuSeconds);
}

/** System CPU seconds of a process and its descendants (see systemCpuSeconds). */
export function treeSystemCpuSeconds(pid: number): number {
  return sumOver(processTree(pid), systemCpuSeconds);
}

/** Resident memory of a process and its descendants. */
export function treeRssBytes(pid: number): number {
  return sumOver(processTree(pid), rssBytes);
}

export interface MachineTicks {
  /** Everything but idle and iowait. */
  busy: number;
  /** user, nice and system: time processes used (interrupts and steal are not theirs). */
  processes: number;
  total: number;
}

/** CPU time of the whole machine so far, in ticks, from the first line of /proc/stat. */
export function parseMachineTicks(stat: string): MachineTicks {
  const line = stat.slice(0, stat.indexOf('\n'));
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user and nice)
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = fields[3] + fields[4];
  return { busy: total - idle, processes: fields[0] + fields[1] + fields[2], total };
}

export function machineTicks(): MachineTicks {
  return parseMachineTicks(readFileSync('/proc/stat', 'utf8'));
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

/** One counter of the `TcpExt:` lines of /proc/net/netstat (a header line, then a values line). */
export function parseTcpExtCounter(netstat: string, name: string): number {
  const lines = netstat.split('\n').filter((line) => line.startsWith('TcpExt:'));
  if (lines.length < 2) throw new Error('no TcpExt lines in /proc/net/netstat');
  const names = lines[0].trim().split(/\s+/);
  const values = lines[1].trim().split(/\s+/);
  const index = names.indexOf(name);
  if (index < 1) throw new Error(`no TcpExt counter ${name}`);
  return Number(values[index]);
}

/**
 * Connections the kernel dropped because a listening socket's accept queue was full (the
 * machine's count so far): each costs its client a SYN retransmission, a second or more later.
 */
export function listenOverflows(): number {
  try {
    return parseTcpExtCounter(readFileSync('/proc/net/netstat', 'utf8'), 'ListenOverflows');
  } catch {
    return Number.NaN;
  }
}
