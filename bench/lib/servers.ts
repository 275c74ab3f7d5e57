import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEvents } from '../servers/bench-events.js';
import { freePort, ManagedChild, sleep, waitForHealth } from './children.js';
import { NGINX, writeNchanConfig } from './nchan.js';
import type { BenchPostgres } from './postgres.js';
import {
  processTree,
  restingRss,
  treeCpuSeconds,
  treeRssBytes,
  treeSystemCpuSeconds,
} from './proc.js';
import type { BenchRedis } from './redis.js';
import {
  ADMIN_CREDENTIALS,
  DEFAULT_WORLD,
  type ReelayWorld,
  seedWorld,
  type WorldShape,
} from './reelay-world.js';

export const SERVER_NAMES = [
  'reelay',
  'reelay-redis',
  'reelay-2w',
  'reelay-postgres',
  'reelay-scraped',
  'plain-http',
  'nest-sse',
  'plain-socketio',
  'nchan',
] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

/** Where a Reelay keeps its data: SQLite under DATA_DIR, or PostgreSQL (DATABASE_URL). */
type DatabaseEngine = 'sqlite' | 'postgres';

/** How each Reelay server runs: its event bus, its processes (WORKERS) and its database. */
interface ReelayVariant {
  bus: 'local' | 'redis';
  workers: number;
  engine: DatabaseEngine;
  /** A scraper reads its `/metrics` every second while it runs (on METRICS_PORT). */
  scraped?: boolean;
}

const REELAY_VARIANTS: Partial<Record<ServerName, ReelayVariant>> = {
  reelay: { bus: 'local', workers: 1, engine: 'sqlite' },
  'reelay-redis': { bus: 'redis', workers: 1, engine: 'sqlite' },
  'reelay-2w': { bus: 'redis', workers: 2, engine: 'sqlite' },
  'reelay-postgres': { bus: 'local', workers: 1, engine: 'postgres' },
  'reelay-scraped': { bus: 'local', workers: 1, engine: 'sqlite', scraped: true },
};

/** The server that seeds each engine's template. */
const SEEDING_SERVERS: Record<DatabaseEngine, ServerName> = {
  sqlite: 'reelay',
  postgres: 'reelay-postgres',
};

/** The engine of a Reelay's data; the other servers have none, and take SQLite's world. */
function engineOf(name: ServerName): DatabaseEngine {
  return REELAY_VARIANTS[name]?.engine ?? 'sqlite';
}

/** Whether the server is Reelay itself (any bus, any number of workers). */
export function isReelay(name: ServerName): boolean {
  return REELAY_VARIANTS[name] !== undefined;
}

/** The processes that serve connections: Reelay's WORKERS, 1 for every other server. */
export function workersOf(name: ServerName): number {
  return REELAY_VARIANTS[name]?.workers ?? 1;
}

/**
 * Each server's own one-connection-per-user ceiling is far below what the bench opens (up to
 * 150 streams per user over its 200 users): the quota is not what is measured.
 */
const STREAMS_PER_USER = '100000';

export interface SettledMemory {
  rss: number;
  heapUsed: number;
  external: number;
}

export interface RunningServer {
  name: ServerName;
  port: number;
  baseUrl: string;
  /** The process the bench started: the server, or the cluster's primary. */
  pid: number;
  /** The processes serving connections (WORKERS), 1 unless a cluster. */
  workers: number;
  /** The REDIS_PREFIX of this start, for an `EVENT_BUS=redis` Reelay. */
  redisPrefix?: string;
  /**
   * The PostgreSQL backends serving this start's database now (none on SQLite, whose work is
   * the server's own): their CPU is the database's share of what the server does.
   */
  databasePids(): Promise<number[]>;
  /** The server's processes: the one started and its descendants (a cluster's workers). */
  pids(): number[];
  /** CPU seconds of all its processes so far. */
  cpuSeconds(): number;
  /** The part of `cpuSeconds` spent in the kernel. */
  systemCpuSeconds(): number;
  /** RSS of all its processes now. */
  rss(): number;
  /** Headers the publish request needs (Reelay's admin token). */
  publishHeaders: Record<string, string>;
  /** Publishes one event of about `size` bytes in `library`, in a request of its own. */
  publishOne(library: string, size: number): Promise<void>;
  /**
   * Memory after a full garbage collection in the server (in each of a cluster's processes):
   * RSS from /proc, V8's own figures, summed over the processes.
   */
  settledMemory(): Promise<SettledMemory>;
  /** The RSS once V8 has given back what the last burst of allocation grew (see restingRss). */
  restingRss(): Promise<{ rss: number; waitedMs: number }>;
  stop(): Promise<void>;
}

const distBench = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The Node scripts of the servers; nginx+nchan is a program of its own (see `startNchan`). */
const SCRIPTS: Record<Exclude<ServerName, 'nchan'>, string> = {
  reelay: distBench('../reelay/reelay-bench-server.js'),
  'reelay-redis': distBench('../reelay/reelay-bench-server.js'),
  'reelay-2w': distBench('../reelay/reelay-bench-server.js'),
  'reelay-postgres': distBench('../reelay/reelay-bench-server.js'),
  'reelay-scraped': distBench('../reelay/reelay-bench-server.js'),
  'plain-http': distBench('../servers/plain-http.js'),
  'nest-sse': distBench('../servers/nest-sse.js'),
  'plain-socketio': distBench('../servers/plain-socketio.js'),
};

const EXIT_ON_SIGNAL = new URL('../servers/exit-on-signal.js', import.meta.url).href;
const SERVER_CONTROL = new URL('../servers/server-control.js', import.meta.url).href;

/** A fixed secret: tokens issued while seeding stay valid across the restarts of each run. */
const JWT_SECRET = 'reelay-bench-secret-0123456789abcdef0123456789';

export interface LaunchOptions {
  /** Where V8 CPU profiles of the servers go; none when undefined. */
  profileDir?: string;
  /** Which servers to profile. */
  profile?: ReadonlySet<ServerName>;
  /** The Node binary the servers run on; undefined: this process's own. */
  node?: string;
  /** The Redis of the `EVENT_BUS=redis` servers. */
  redis?: BenchRedis;
  /** The PostgreSQL the `reelay-postgres` server's databases are created on. */
  postgres?: BenchPostgres;
}

/** What each start of a Reelay on one engine copies, seeded once. */
interface SeededTemplate {
  dataDir: string;
  /** The PostgreSQL database seeded with it, copied for each start (`CREATE ... TEMPLATE`). */
  database?: string;
  world?: ReelayWorld;
}

/**
 * Reads `/metrics` once a second, as Prometheus would, while the server runs: each scrape walks
 * every connection's queue. A scrape that fails is the bench's to notice in the figures only.
 */
function scrapeEverySecond(port: number): NodeJS.Timeout {
  return setInterval(() => {
    fetch(`http://127.0.0.1:${port}/metrics`)
      .then((response) => response.text())
      .catch(() => undefined);
  }, 1000);
}

/** What the bench reads of a server's processes (the one started and its descendants) in /proc. */
function processReadings(
  pid: number,
): Pick<RunningServer, 'pid' | 'pids' | 'cpuSeconds' | 'systemCpuSeconds' | 'rss' | 'restingRss'> {
  return {
    pid,
    pids: () => processTree(pid),
    cpuSeconds: () => treeCpuSeconds(pid),
    systemCpuSeconds: () => treeSystemCpuSeconds(pid),
    rss: () => treeRssBytes(pid),
    restingRss: () => restingRss(() => treeRssBytes(pid), sleep),
  };
}

/** Reads a publish request's answer; throws unless it succeeded. */
async function published(response: Response): Promise<void> {
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`publish failed: ${response.status}`);
}

/** Asks the server for a full garbage collection (see servers/server-control.ts). */
function collectGarbage(child: ManagedChild): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.process.off('message', onMessage);
      reject(new Error(`${child.options.name} did not collect garbage in time`));
    }, 10_000);
    const onMessage = (message: { collected?: NodeJS.MemoryUsage }) => {
      if (message.collected === undefined) return;
      clearTimeout(timer);
      child.process.off('message', onMessage);
      resolve(message.collected);
    };
    child.process.on('message', onMessage);
    child.process.send('gc');
  });
}

/**
 * Starts each server fresh for every measurement. Reelay is seeded once, through its REST API,
 * into a template data folder, so that its tokens and grants stay the same; each start of a
 * Reelay gets a fresh copy of that folder (its own database and event log) and, on the Redis
 * bus, a REDIS_PREFIX of its own, so that no two starts share a stream or an id counter. On
 * PostgreSQL the same seeding goes into a template database (with a data folder of its own),
 * and each start gets a copy of that database, dropped when it stops: its world has the same
 * shape and names as SQLite's, but ids and tokens of its own (see `worldOf`).
 */
export class ServerLauncher {
  private readonly templates: Record<DatabaseEngine, SeededTemplate> = {
    sqlite: { dataDir: mkdtempSync(join(tmpdir(), 'reelay-bench-')) },
    postgres: { dataDir: mkdtempSync(join(tmpdir(), 'reelay-bench-postgres-')) },
  };
  private readonly runTag = `${process.pid}-${Date.now().toString(36)}`;
  /** PostgreSQL names are unquoted identifiers: lower case, digits and underscores. */
  private readonly databasePrefix = `reelay_bench_${this.runTag.replaceAll('-', '_')}`;
  private starts = 0;
  /** The data folders of the Reelay starts still running (copies of the template). */
  private readonly runDirs = new Set<string>();
  /** Where the servers write their CPU profiles: files, or folders for a cluster's processes. */
  private readonly profileTargets: string[] = [];

  constructor(private readonly options: LaunchOptions = {}) {}

  /**
   * The users, libraries and tokens of the server's database: each engine's seeding made its
   * own. The servers that are not Reelay publish over SQLite's libraries (any ids would do).
   */
  worldOf(name: ServerName): ReelayWorld {
    const { world } = this.templates[engineOf(name)];
    if (!world) throw new Error(`the Reelay world of ${name} is not seeded yet`);
    return world;
  }

  /** The CPU profiles the servers wrote, in the order they started. */
  get profiles(): string[] {
    return this.profileTargets.flatMap((target) =>
      target.endsWith('.cpuprofile')
        ? [target]
        : existsSync(target)
          ? readdirSync(target)
              .filter((file) => file.endsWith('.cpuprofile'))
              .map((file) => join(target, file))
          : [],
    );
  }

  /**
   * Starts Reelay once and creates the users, libraries and grants; once more on PostgreSQL, into
   * a template database, when the run has a PostgreSQL.
   */
  async seed(shape: WorldShape = DEFAULT_WORLD): Promise<void> {
    const engines: DatabaseEngine[] = this.options.postgres ? ['sqlite', 'postgres'] : ['sqlite'];
    for (const engine of engines) {
      const template = this.templates[engine];
      if (engine === 'postgres') {
        template.database = `${this.databasePrefix}_template`;
        // oxlint-disable-next-line no-await-in-loop -- the seeding server needs its database
        await this.options.postgres?.create(template.database);
      }
      // oxlint-disable-next-line no-await-in-loop -- one seeding at a time: each takes both cores
      const server = await this.start(SEEDING_SERVERS[engine], { seeding: true });
      try {
        // oxlint-disable-next-line no-await-in-loop -- see above
        template.world = await seedWorld(server.baseUrl, shape);
      } finally {
        // oxlint-disable-next-line no-await-in-loop -- a template is copied only once it stopped
        await server.stop();
      }
    }
  }

  /**
   * Starts a server. With profiling on, a server named in `profile` writes its CPU profile to
   * `<profileDir>/<label>.cpuprofile` when it stops (a cluster: one per process, in
   * `<profileDir>/<label>/`).
   */
  async start(
    name: ServerName,
    options: { label?: string; seeding?: boolean } = {},
  ): Promise<RunningServer> {
    if (name === 'nchan') return this.startNchan();
    const port = await freePort();
    const variant = REELAY_VARIANTS[name];
    const { profileDir, redis, postgres } = this.options;
    const template = this.templates[engineOf(name)];
    const profileName =
      profileDir !== undefined && options.label !== undefined && this.options.profile?.has(name)
        ? options.label.replace(/[^A-Za-z0-9._-]+/g, '_')
        : undefined;
    // A cluster's workers inherit the primary's flags: one file name would be written by each.
    const profileTarget =
      profileName === undefined
        ? undefined
        : workersOf(name) > 1
          ? join(profileDir ?? '', profileName)
          : join(profileDir ?? '', `${profileName}.cpuprofile`);
    const dataDir =
      variant === undefined || options.seeding
        ? template.dataDir
        : mkdtempSync(join(tmpdir(), 'reelay-bench-run-'));
    if (dataDir !== template.dataDir) {
      this.runDirs.add(dataDir);
      cpSync(template.dataDir, dataDir, { recursive: true });
    }
    let redisPrefix: string | undefined;
    if (variant?.bus === 'redis') {
      if (redis === undefined) throw new Error(`${name} needs a Redis`);
      redisPrefix = `reelay-bench-${this.runTag}-${++this.starts}`;
    }
    let database: string | undefined;
    if (variant?.engine === 'postgres') {
      if (postgres === undefined || template.database === undefined) {
        throw new Error(`${name} needs a PostgreSQL, seeded first`);
      }
      database = options.seeding ? template.database : `${this.databasePrefix}_${++this.starts}`;
      if (database !== template.database) await postgres.create(database, template.database);
    }
    const metricsPort = variant?.scraped ? await freePort() : undefined;
    const child = new ManagedChild({
      name,
      command: this.options.node,
      script: SCRIPTS[name],
      nodeArgs: [
        '--expose-gc',
        '--import',
        SERVER_CONTROL,
        ...(profileTarget === undefined
          ? []
          : [
              '--cpu-prof',
              ...(workersOf(name) > 1
                ? [`--cpu-prof-dir=${profileTarget}`]
                : [`--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${profileName}.cpuprofile`]),
              '--import',
              EXIT_ON_SIGNAL,
            ]),
      ],
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        ADMIN_USERNAME: ADMIN_CREDENTIALS.username,
        ADMIN_PASSWORD: ADMIN_CREDENTIALS.password,
        JWT_SECRET,
        JWT_TTL: '12h',
        ...(variant === undefined
          ? {}
          : {
              STREAMS_PER_USER,
              EVENT_BUS: variant.bus,
              WORKERS: String(variant.workers),
              ...(redisPrefix === undefined
                ? {}
                : { REDIS_URL: redis?.url, REDIS_PREFIX: redisPrefix }),
              ...(database === undefined ? {} : { DATABASE_URL: postgres?.urlOf(database) }),
              ...(metricsPort === undefined ? {} : { METRICS_PORT: String(metricsPort) }),
            }),
      },
      ipc: true,
    });
    let scraper: NodeJS.Timeout | undefined;
    const stop = async () => {
      clearInterval(scraper);
      await child.stop();
      if (dataDir !== template.dataDir) {
        rmSync(dataDir, { recursive: true, force: true });
        this.runDirs.delete(dataDir);
      }
      if (redisPrefix !== undefined) await redis?.deletePrefix(redisPrefix).catch(() => 0);
      // One that fails stays live: the end of the run drops it (see dropLiveDatabases).
      if (database !== undefined && database !== template.database) {
        await postgres?.drop(database).catch(() => undefined);
      }
    };
    if (profileTarget !== undefined) this.profileTargets.push(profileTarget);
    try {
      await waitForHealth(child, port);
    } catch (error) {
      await stop();
      throw error;
    }
    if (metricsPort !== undefined) scraper = scrapeEverySecond(metricsPort);
    const publishHeaders: Record<string, string> =
      variant !== undefined && !options.seeding
        ? { Authorization: `Bearer ${this.worldOf(name).adminToken}` }
        : {};
    return {
      name,
      port,
      baseUrl: `http://127.0.0.1:${port}`,
      ...processReadings(child.pid),
      workers: workersOf(name),
      redisPrefix,
      databasePids: async () =>
        database === undefined ? [] : ((await postgres?.backendPids(database)) ?? []),
      publishHeaders,
      publishOne: async (library, size) =>
        published(
          await fetch(`http://127.0.0.1:${port}/bench/publish`, {
            method: 'POST',
            headers: { ...publishHeaders, 'Content-Type': 'application/json' },
            body: JSON.stringify({ count: 1, size, libraries: [library] }),
          }),
        ),
      settledMemory: async () => {
        const usage = await collectGarbage(child);
        await sleep(200);
        return {
          rss: treeRssBytes(child.pid),
          heapUsed: usage.heapUsed,
          external: usage.external,
        };
      },
      stop,
    };
  }

  /**
   * nginx with one worker serving nchan (see nchan.ts), in a folder of its own. The bench builds
   * each event as the Node servers do and publishes its data line to the library's channel.
   */
  private async startNchan(): Promise<RunningServer> {
    const port = await freePort();
    const prefix = mkdtempSync(join(tmpdir(), 'reelay-bench-nchan-'));
    this.runDirs.add(prefix);
    const child = new ManagedChild({
      name: 'nchan',
      command: NGINX,
      nodeArgs: ['-p', prefix, '-e', 'stderr', '-c', writeNchanConfig(prefix, port)],
    });
    const stop = async () => {
      await child.stop();
      rmSync(prefix, { recursive: true, force: true });
      this.runDirs.delete(prefix);
    };
    try {
      await waitForHealth(child, port);
    } catch (error) {
      await stop();
      throw error;
    }
    const baseUrl = `http://127.0.0.1:${port}`;
    let lastId = 0;
    const nextId = () => ++lastId;
    return {
      name: 'nchan',
      port,
      baseUrl,
      ...processReadings(child.pid),
      workers: 1,
      databasePids: () => Promise.resolve([]),
      publishHeaders: {},
      publishOne: async (library, size) => {
        const [event] = benchEvents({ count: 1, size, libraries: [library] }, nextId);
        await published(
          await fetch(`${baseUrl}/pub?library=${encodeURIComponent(library)}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(event.message),
          }),
        );
      },
      // nginx has no garbage collector: its memory is its RSS.
      settledMemory: () =>
        Promise.resolve({ rss: treeRssBytes(child.pid), heapUsed: 0, external: 0 }),
      stop,
    };
  }

  /**
   * Removes Reelay's template data folders and any copy a stopped run left behind; the
   * databases go with `dropLiveDatabases`, which cannot wait in an exit handler.
   */
  close(): void {
    for (const dir of [
      this.templates.sqlite.dataDir,
      this.templates.postgres.dataDir,
      ...this.runDirs,
    ]) {
      rmSync(dir, { recursive: true, force: true });
    }
    this.runDirs.clear();
  }
}
