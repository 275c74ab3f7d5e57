import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { type Exit, exitOf, freePort } from './server-process.js';

const run = promisify(execFile);

/** A REDIS_PREFIX no one else uses, for tests that share the Redis at 127.0.0.1:6379. */
export function uniquePrefix(): string {
  return `reelay-test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * A real `redis-server` (the binary on the PATH) of the test's own, on a free port, that saves
 * nothing: a restart brings it back empty. Stop it in afterAll.
 */
export class RedisServer {
  private child?: ChildProcess;
  private exited?: Promise<Exit>;
  private chosenPort?: number;
  /** What the current process printed, for failure messages. */
  output = '';

  get port(): number {
    if (this.chosenPort === undefined) throw new Error('the Redis server was never started');
    return this.chosenPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (on the port of the previous start, if any) and waits until it answers. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the Redis server is already running');
    this.chosenPort ??= await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
      { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    let failed: Error | undefined;
    child.once('error', (error) => (failed = error));
    this.child = child;
    this.exited = exitOf(child);
    const deadline = Date.now() + 10_000;
    // This very process must answer, not another one that holds the port.
    const itself = new RegExp(`^process_id:${child.pid}\\s*$`, 'm');
    // oxlint-disable-next-line no-await-in-loop -- polls until it answers
    while (!itself.test(await this.command('INFO', 'server').catch(() => ''))) {
      if (failed || child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        // oxlint-disable-next-line no-await-in-loop -- leaves the loop
        await this.kill();
        throw new Error(`redis-server did not answer: ${failed?.message ?? ''}\n${this.output}`);
      }
      // oxlint-disable-next-line no-await-in-loop -- polls until it answers
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** SIGTERM; resolves once it exited. Does nothing if it is not running. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** SIGKILL; resolves once it exited. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** Stops it and starts it again on the same port, empty. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async flushAll(): Promise<void> {
    const reply = await this.command('FLUSHALL');
    if (reply !== 'OK') throw new Error(`FLUSHALL answered ${reply}`);
  }

  /** Every key it holds. */
  async keys(): Promise<string[]> {
    const listed = await this.command('KEYS', '*');
    return listed === '' ? [] : listed.split('\n');
  }

  /** One command through `redis-cli`; its reply as printed, trimmed. Rejects on an error reply. */
  async command(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-e',
      ...args,
    ]);
    return stdout.trim();
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const { child, exited } = this;
    if (!child || !exited) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    this.child = undefined;
    this.exited = undefined;
  }
}
