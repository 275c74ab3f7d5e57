import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, ManagedChild, waitForHealth } from './children.js';
import {
  ADMIN_CREDENTIALS,
  DEFAULT_WORLD,
  type ReelayWorld,
  seedWorld,
  type WorldShape,
} from './reelay-world.js';

export type ServerName = 'reelay' | 'plain-http' | 'nest-sse' | 'plain-socketio';

export interface RunningServer {
  name: ServerName;
  port: number;
  baseUrl: string;
  pid: number;
  /** Headers the publish request needs (Reelay's admin token). */
  publishHeaders: Record<string, string>;
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

/** A fixed secret: tokens issued while seeding stay valid across the restarts of each run. */
const JWT_SECRET = 'reelay-bench-secret-0123456789abcdef0123456789';

export interface LaunchOptions {
  /** Where V8 CPU profiles of the servers go; none when undefined. */
  profileDir?: string;
  /** Which servers to profile. */
  profile?: ReadonlySet<ServerName>;
}

/**
 * Starts each server fresh for every measurement. Reelay keeps one data folder for the whole
 * benchmark, seeded once through its REST API, so that its tokens and grants stay the same.
 */
export class ServerLauncher {
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'reelay-bench-'));
  private seeded?: ReelayWorld;

  constructor(private readonly options: LaunchOptions = {}) {}

  get world(): ReelayWorld {
    if (!this.seeded) throw new Error('the Reelay world is not seeded yet');
    return this.seeded;
  }

  /** Starts Reelay once and creates the users, libraries and grants. */
  async seed(shape: WorldShape = DEFAULT_WORLD): Promise<ReelayWorld> {
    const server = await this.start('reelay', false);
    try {
      this.seeded = await seedWorld(server.baseUrl, shape);
      return this.seeded;
    } finally {
      await server.stop();
    }
  }

  async start(name: ServerName, needsWorld = true): Promise<RunningServer> {
    const port = await freePort();
    const profiling = this.options.profileDir !== undefined && this.options.profile?.has(name);
    const child = new ManagedChild({
      name,
      script: SCRIPTS[name],
      nodeArgs: profiling
        ? ['--cpu-prof', `--cpu-prof-dir=${this.options.profileDir}`, '--import', EXIT_ON_SIGNAL]
        : [],
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
    });
    const stop = () => child.stop();
    try {
      await waitForHealth(child, port);
    } catch (error) {
      await stop();
      throw error;
    }
    const publishHeaders: Record<string, string> =
      name === 'reelay' && needsWorld ? { Authorization: `Bearer ${this.world.adminToken}` } : {};
    return {
      name,
      port,
      baseUrl: `http://127.0.0.1:${port}`,
      pid: child.pid,
      publishHeaders,
      stop,
    };
  }

  /** Removes Reelay's data folder. */
  close(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
