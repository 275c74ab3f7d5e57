import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import request from 'supertest';
import { LISTEN_BACKLOG } from '../../src/common/listen.js';
import { captureOutput, recordSecret } from './log-capture.js';
import { SseFrameClient } from './sse-frame-client.js';
import { createTestDatabase, TEST_ENGINE, type TestDatabase } from './test-database.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** Resolves with how `child` ended, once it has, or could not start (no 'exit' comes then). */
export function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', () => {
      if (child.pid === undefined) done({ code: child.exitCode, signal: null });
    });
  });
}

/**
 * Where the e2e run's server build goes (set by log-capture.global-setup.ts, deleted by its
 * teardown).
 */
const SHARED_BUILD_ENV = 'REELAY_TEST_SERVER_BUILD';

/** The server as `npm start` builds it, compiled by the repo's tsc into `dir`. */
async function compileInto(dir: string): Promise<void> {
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', dir], {
    cwd: REPO,
  }).catch((error: { stdout?: string }) => {
    // Type errors elsewhere are the typecheck's to report; the files are emitted regardless.
    if (!existsSync(join(dir, 'src/main.js'))) throw new Error(`build failed: ${error.stdout}`);
  });
}

/**
 * Compiles into `dir` unless another jest worker does: the one whose `mkdir` makes the folder
 * compiles and then marks it ready (or failed); the others wait for the mark.
 */
async function compileOnce(dir: string): Promise<void> {
  const ready = join(dir, '.ready');
  const failed = join(dir, '.failed');
  try {
    mkdirSync(dir);
  } catch {
    const deadline = Date.now() + 180_000;
    while (!existsSync(ready)) {
      if (existsSync(failed)) throw new Error(readFileSync(failed, 'utf8'));
      if (Date.now() > deadline) throw new Error(`no server build in ${dir} after 180 s`);
      // oxlint-disable-next-line no-await-in-loop -- waiting for another worker's compile
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return;
  }
  try {
    await compileInto(dir);
  } catch (error) {
    writeFileSync(failed, String(error));
    throw error;
  }
  writeFileSync(ready, '');
}

/** A started `node src/main.js` and everything it printed. */
export class ServerProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    captureOutput(child.stdout, child.pid);
    captureOutput(child.stderr, child.pid);
    this.exited = exitOf(child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The address from the "Listening on" line, once the server prints it. */
  listening(): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = /Listening on (http:\/\/\S+)/.exec(this.stdout);
        if (!match) return;
        stopWatching();
        resolve(match[1]);
      };
      const exitedEarly = () => {
        stopWatching();
        reject(
          new Error(`exited before listening\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`),
        );
      };
      const stopWatching = () => {
        this.child.stdout?.off('data', check);
        this.child.off('exit', exitedEarly);
      };
      this.child.stdout?.on('data', check);
      this.child.once('exit', exitedEarly);
      check();
    });
  }

  /** SIGTERM, a clean stop; resolves once the process is gone. */
  stop(): Promise<Exit> {
    return this.signal('SIGTERM');
  }

  /** SIGKILL, a crash; resolves once the process is gone. */
  kill(): Promise<Exit> {
    return this.signal('SIGKILL');
  }

  private signal(signal: NodeJS.Signals): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

/**
 * The accept queue of the socket listening on `port` and the one Reelay asks for, as the kernel
 * caps it (`net.core.somaxconn`), read with `ss` (iproute2), which reports a listener's backlog.
 */
export async function listenBacklog(port: number): Promise<{ actual: number; expected: number }> {
  const { stdout } = await promisify(execFile)('ss', ['-Hltn', `sport = :${port}`]);
  const columns = stdout.trim().split(/\s+/);
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  return { actual: Number(columns[2]), expected: Math.min(LISTEN_BACKLOG, somaxconn) };
}

/** The bearer token of a login, which must succeed. */
export async function login(url: string, username: string, password: string): Promise<string> {
  const response = await request(url).post('/auth/login').send({ username, password }).expect(200);
  const { accessToken } = response.body as { accessToken: string };
  recordSecret(accessToken);
  return accessToken;
}

/** A server process that listens, and a server admin's token for it. */
export interface RunningServer {
  process: ServerProcess;
  url: string;
  token: string;
}

/** An SSE stream of `/sse`, resumed after `lastEventId` when given; waits for its headers. */
export function openSse(
  server: { url: string; token: string },
  lastEventId?: number,
  token = server.token,
): Promise<SseFrameClient> {
  return SseFrameClient.stream(server.url, '/sse', token, {
    headers: lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) },
  });
}

/**
 * The server as `npm start` builds it: the repo's tsc compiles it once into a folder of its
 * own, so that no one's dist/ changes, and each `spawn` runs `node src/main.js` from there.
 */
export class ServerBuild {
  private readonly started: ServerProcess[] = [];
  /** With REELAY_TEST_ENGINE=postgres: one database per data folder, as SQLite has one file. */
  private readonly databases = new Map<string, Promise<TestDatabase>>();

  private constructor(
    readonly dir: string,
    /** Whether `remove` deletes the build: not the e2e run's shared one. */
    private readonly owned: boolean,
  ) {}

  /**
   * The e2e run's build (SHARED_BUILD_ENV, named by the run's global setup): compiled by the
   * first suite that needs it while the others wait, so that a run compiles the server once.
   * Outside such a run, a build of its own.
   */
  static async compile(): Promise<ServerBuild> {
    const shared = process.env[SHARED_BUILD_ENV];
    if (shared === undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'reelay-build-'));
      await compileInto(dir);
      return new ServerBuild(dir, true);
    }
    await compileOnce(shared);
    return new ServerBuild(shared, false);
  }

  /**
   * `node src/main.js` in `cwd`, with `env` and nothing else of the test's environment but PATH;
   * on the engine the tests run on (`env.DATABASE_URL` set, even empty, decides for itself);
   * logging at debug level unless `env` says otherwise, for the run's check of the logs.
   */
  async spawn(env: Record<string, string>, cwd: string): Promise<ServerProcess> {
    recordSecret(env.ADMIN_PASSWORD);
    recordSecret(env.JWT_SECRET);
    const database =
      TEST_ENGINE === 'postgres' && env.DATABASE_URL === undefined
        ? { DATABASE_URL: (await this.databaseOf(resolvePath(cwd, env.DATA_DIR ?? 'data'))).url }
        : {};
    const child = spawn(process.execPath, [join(this.dir, 'src/main.js')], {
      cwd,
      env: { PATH: process.env.PATH, NO_COLOR: '1', LOG_LEVEL: 'debug', ...database, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child);
    this.started.push(server);
    return server;
  }

  private databaseOf(dataDir: string): Promise<TestDatabase> {
    let database = this.databases.get(dataDir);
    if (!database) {
      database = createTestDatabase();
      this.databases.set(dataDir, database);
    }
    return database;
  }

  /** Runs another script of the build (`src/restore.js`, say) to its end, with `env` only. */
  async runScript(
    script: string,
    args: string[],
    env: Record<string, string>,
    cwd: string,
  ): Promise<{ exit: Exit; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [join(this.dir, script), ...args], {
      cwd,
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = new ServerProcess(child);
    // 'close' rather than 'exit': it comes once all the script printed has been read.
    const exit = await new Promise<Exit>((done) => {
      child.once('close', (code, signal) => done({ code, signal }));
    });
    return { exit, stdout: output.stdout, stderr: output.stderr };
  }

  /** Spawns, waits for "Listening on", and logs in as the admin of ADMIN_USERNAME/ADMIN_PASSWORD. */
  async boot(env: Record<string, string>, cwd: string): Promise<RunningServer> {
    if (env.ADMIN_PASSWORD === undefined) throw new Error('boot needs ADMIN_PASSWORD');
    const server = await this.spawn(env, cwd);
    const url = await server.listening();
    const token = await login(url, env.ADMIN_USERNAME ?? 'admin', env.ADMIN_PASSWORD);
    return { process: server, url, token };
  }

  /** Stops (SIGTERM) every process this build started that still runs. */
  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((server) => server.stop()));
  }

  /** Stops everything it started, drops the databases it created and deletes the build. */
  async remove(): Promise<void> {
    await this.stopAll();
    const databases = await Promise.all(this.databases.values());
    this.databases.clear();
    await Promise.all(databases.map((database) => database.drop()));
    if (this.owned) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A describe's built server: compiled once, a fresh working folder for each test. */
export interface BuiltServerSuite {
  readonly build: ServerBuild;
  readonly workDir: string;
}

/**
 * Registers, in the calling describe, the build (compiled once), a working folder named
 * `<folderPrefix>...` for each test, and the stop of every process a test started.
 */
export function builtServerSuite(folderPrefix: string): BuiltServerSuite {
  const suite = {} as { build: ServerBuild; workDir: string };
  beforeAll(async () => {
    suite.build = await ServerBuild.compile();
  }, 120_000);
  beforeEach(() => {
    suite.workDir = mkdtempSync(join(tmpdir(), folderPrefix));
  });
  afterEach(async () => {
    await suite.build.stopAll();
    rmSync(suite.workDir, { recursive: true, force: true });
  });
  afterAll(() => suite.build.remove());
  return suite;
}
