import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Runs a child (`node` unless told otherwise) through bash so that the child's soft limit on open files is raised to the hard
 * limit first: Node cannot raise its own, and one process may hold up to ~19,000 sockets here.
 */
const RAISE_FILE_LIMIT = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

export interface ChildOptions {
  name: string;
  /** The program; `node` (this one) unless given. */
  command?: string;
  /** The script Node runs; none for a program that is not Node (its arguments in `nodeArgs`). */
  script?: string;
  nodeArgs?: string[];
  env?: Record<string, string | undefined>;
  ipc?: boolean;
  /** Gives the child a stdin pipe (else it reads nothing). */
  stdin?: boolean;
}

const liveChildren = new Set<ManagedChild>();

/** Kills every child still running, at once: for the orchestrator's way out. */
export function killAllChildren(): void {
  for (const child of liveChildren) child.process.kill('SIGKILL');
}

/** A child process the orchestrator started, with the tail of its output for diagnostics. */
export class ManagedChild {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly output: string[] = [];

  constructor(readonly options: ChildOptions) {
    this.process = spawn(
      'bash',
      [
        '-c',
        RAISE_FILE_LIMIT,
        options.command ?? process.execPath,
        ...(options.nodeArgs ?? []),
        ...(options.script === undefined ? [] : [options.script]),
      ],
      {
        env: { ...process.env, ...options.env },
        stdio: [
          options.stdin ? 'pipe' : 'ignore',
          'pipe',
          'pipe',
          ...(options.ipc ? (['ipc'] as const) : []),
        ],
      },
    );
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.output.length > 40) this.output.splice(0, this.output.length - 40);
    };
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
    liveChildren.add(this);
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code) => {
        liveChildren.delete(this);
        resolve(code);
      }),
    );
  }

  /** bash `exec`s the program, so this is the pid of the program itself. */
  get pid(): number {
    const pid = this.process.pid;
    if (pid === undefined) throw new Error(`${this.options.name} did not start`);
    return pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  get recentOutput(): string {
    return this.output.join('\n');
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A port that was free a moment ago, for a server that needs one before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `GET /health` until it answers 200, the child dies or `timeoutMs` passes. */
export async function waitForHealth(
  child: ManagedChild,
  port: number,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) {
      throw new Error(`${child.options.name} exited while starting:\n${child.recentOutput}`);
    }
    try {
      // oxlint-disable-next-line no-await-in-loop -- one probe at a time, on purpose
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      // oxlint-disable-next-line no-await-in-loop -- the probe's body, read before the next
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    // oxlint-disable-next-line no-await-in-loop -- polling
    await sleep(100);
  }
  throw new Error(`${child.options.name} did not answer /health:\n${child.recentOutput}`);
}
