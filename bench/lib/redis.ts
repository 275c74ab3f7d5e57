import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, ManagedChild, sleep } from './children.js';
import { cpuSeconds } from './proc.js';

/** Where Reelay's shared default Redis runs; the bench uses it when it cannot start its own. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The Redis the `EVENT_BUS=redis` contenders share for one benchmark run. */
export interface BenchRedis {
  url: string;
  /** True when the bench started this Redis for itself: then its counters are the bench's alone. */
  own: boolean;
  /** How the report names it. */
  description: string;
  /** CPU seconds of the Redis server so far; undefined for a Redis the bench did not start. */
  cpuSeconds(): number | undefined;
  /** Calls per command since Redis started (INFO commandstats), without the bench's own INFO. */
  commandCalls(): Promise<Record<string, number>>;
  /** Removes every key under `<prefix>:`, the traces of one server's run. */
  deletePrefix(prefix: string): Promise<number>;
  stop(): Promise<void>;
}

/** `cmdstat_xadd:calls=858,usec=...` lines of INFO commandstats, as calls per command. */
export function parseCommandStats(info: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] !== 'info') calls[match[1]] = Number(match[2]);
  }
  return calls;
}

/** Calls per command between two readings of `commandCalls`. */
export function commandDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [command, calls] of Object.entries(after)) {
    const grown = calls - (before[command] ?? 0);
    if (grown > 0) delta[command] = grown;
  }
  return delta;
}

export function totalCalls(calls: Record<string, number>): number {
  return Object.values(calls).reduce((sum, value) => sum + value, 0);
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function waitForPing(client: Redis, child: ManagedChild | undefined): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child !== undefined && !child.running) {
      throw new Error(`redis-server exited while starting:\n${child.recentOutput}`);
    }
    try {
      // oxlint-disable-next-line no-await-in-loop -- one probe at a time
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not up yet
    }
    // oxlint-disable-next-line no-await-in-loop -- polling
    await sleep(100);
  }
  throw new Error(`Redis did not answer PING:\n${child?.recentOutput ?? ''}`);
}

/**
 * The Redis of the run: the one at `url` when given (shared: its command counters then count
 * every client, not only Reelay's), else a `redis-server` of the bench's own on a free port,
 * keeping nothing on disk, so that INFO commandstats and its CPU time belong to the contenders
 * alone; else, without `redis-server` on the PATH, the default Redis at 127.0.0.1:6379.
 */
export async function startBenchRedis(url: string | undefined): Promise<BenchRedis> {
  let child: ManagedChild | undefined;
  let target = url ?? DEFAULT_REDIS_URL;
  if (url === undefined && hasRedisServer()) {
    const port = await freePort();
    child = new ManagedChild({
      name: 'redis-server',
      command: 'redis-server',
      nodeArgs: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
    });
    target = `redis://127.0.0.1:${port}`;
  }
  const client = new Redis(target, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  client.connect().catch(() => undefined);
  try {
    await waitForPing(client, child);
  } catch (error) {
    client.disconnect();
    await child?.stop();
    throw error;
  }
  const own = child;
  return {
    url: target,
    own: own !== undefined,
    description:
      own !== undefined ? `its own redis-server (${target})` : `the shared Redis at ${target}`,
    cpuSeconds: () => (own?.running ? cpuSeconds(own.pid) : undefined),
    commandCalls: async () => parseCommandStats(await client.info('commandstats')),
    deletePrefix: async (prefix) => {
      let removed = 0;
      let cursor = '0';
      do {
        // oxlint-disable-next-line no-await-in-loop -- SCAN walks the keys one page after another
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        // oxlint-disable-next-line no-await-in-loop -- each page's keys before the next page
        if (keys.length > 0) removed += await client.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
      return removed;
    },
    stop: async () => {
      client.disconnect();
      await own?.stop();
    },
  };
}
