import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, ManagedChild, sleep, waitForHealth } from './children.js';
import { restingRss, rssBytes } from './proc.js';
import {
  ADMIN_CREDENTIALS,
  DEFAULT_WORLD,
  type ReelayWorld,
  seedWorld,
  type WorldShape,
} from './reelay-world.js';

export const SERVER_NAMES = ['reelay', 'plain-http', 'nest-sse', 'plain-socketio'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

export interface SettledMemory {
  rss: number;
  heapUsed: number;
  external: number;
}

export interface RunningServer {
  name: ServerName;
  port: number;
  baseUrl: string;
  pid: number;
  /** Headers the publish request needs (Reelay's admin token). */
  publishHeaders: Record<string, string>;
  /** Memory after a full garbage collection in the server: RSS from /proc, V8's own figures. */
  settledMemory(): Promise<SettledMemory>;
  /** The RSS once V8 has given back what the last burst of allocation grew (see restingRss). */
  restingRss(): Promise<{ rss: number; waitedMs: number }>;
  stop(): Promise<void>;
}

const distBench = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const SCRIPTS: Record<ServerName, string> = {
  reelay: distBench('../../src/main.js'),
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
 * Starts each server fresh for every measurement. Reelay keeps one data folder for the whole
 * benchmark, seeded once through its REST API, so that its tokens and grants stay the same.
 */
export class ServerLauncher {
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'reelay-bench-'));
  private seeded?: ReelayWorld;
  /** The CPU profiles the servers write, in the order they started. */
  readonly profiles: string[] = [];

  constructor(private readonly options: LaunchOptions = {}) {}

  get world(): ReelayWorld {
    if (!this.seeded) throw new Error('the Reelay world is not seeded yet');
    return this.seeded;
  }

  /** Starts Reelay once and creates the users, libraries and grants. */
  async seed(shape: WorldShape = DEFAULT_WORLD): Promise<ReelayWorld> {
    const server = await this.start('reelay', { seeding: true });
    try {
      this.seeded = await seedWorld(server.baseUrl, shape);
      return this.seeded;
    } finally {
      await server.stop();
    }
  }

  /**
   * Starts a server. With profiling on, a server named in `profile` writes its CPU profile to
   * `<profileDir>/<label>.cpuprofile` when it stops.
   */
  async start(
    name: ServerName,
    options: { label?: string; seeding?: boolean } = {},
  ): Promise<RunningServer> {
    const port = await freePort();
    const { profileDir } = this.options;
    const profileName =
      profileDir !== undefined && options.label !== undefined && this.options.profile?.has(name)
        ? `${options.label.replace(/[^A-Za-z0-9._-]+/g, '_')}.cpuprofile`
        : undefined;
    const child = new ManagedChild({
      name,
      command: this.options.node,
      script: SCRIPTS[name],
      nodeArgs: [
        '--expose-gc',
        '--import',
        SERVER_CONTROL,
        ...(profileName === undefined
          ? []
          : [
              '--cpu-prof',
              `--cpu-prof-dir=${profileDir}`,
              `--cpu-prof-name=${profileName}`,
              '--import',
              EXIT_ON_SIGNAL,
            ]),
      ],
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: this.dataDir,
        ADMIN_USERNAME: ADMIN_CREDENTIALS.username,
        ADMIN_PASSWORD: ADMIN_CREDENTIALS.password,
        JWT_SECRET,
        JWT_TTL: '12h',
        REELAY_BENCH_PUBLISH: 'true',
      },
      ipc: true,
    });
    const stop = () => child.stop();
    if (profileName !== undefined) this.profiles.push(join(profileDir ?? '', profileName));
    try {
      await waitForHealth(child, port);
    } catch (error) {
      await stop();
      throw error;
    }
    const publishHeaders: Record<string, string> =
      name === 'reelay' && !options.seeding
        ? { Authorization: `Bearer ${this.world.adminToken}` }
        : {};
    return {
      name,
      port,
      baseUrl: `http://127.0.0.1:${port}`,
      pid: child.pid,
      publishHeaders,
      settledMemory: async () => {
        const usage = await collectGarbage(child);
        await sleep(200);
        return { rss: rssBytes(child.pid), heapUsed: usage.heapUsed, external: usage.external };
      },
      restingRss: () => restingRss(() => rssBytes(child.pid), sleep),
      stop,
    };
  }

  /** Removes Reelay's data folder. */
  close(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
