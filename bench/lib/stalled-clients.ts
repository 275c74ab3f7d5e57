import { fileURLToPath } from 'node:url';
import type { ConnectionSpec, OpenResult } from '../generator/protocol.js';
import { ManagedChild } from './children.js';

const SCRIPT = fileURLToPath(
  new URL('../../../bench/generator/stalled-clients.py', import.meta.url),
);

/** What the stalled clients ask of the kernel: a tiny receive buffer and small segments. */
export const STALLED_SOCKET_OPTIONS = { rcvbuf: 4096, mss: 536 };

/**
 * The orchestrator's end of generator/stalled-clients.py, which holds connections that read
 * their response head and then never read again (see that file for why it is not Node).
 */
export class StalledClients {
  private readonly child = new ManagedChild({
    name: 'stalled-clients',
    command: 'python3',
    script: SCRIPT,
    stdin: true,
  });
  private pending = '';
  private readonly lines: string[] = [];
  private wake?: () => void;

  constructor() {
    this.child.process.stdout?.on('data', (chunk: Buffer) => {
      this.pending += chunk.toString('utf8');
      let end: number;
      while ((end = this.pending.indexOf('\n')) >= 0) {
        this.lines.push(this.pending.slice(0, end));
        this.pending = this.pending.slice(end + 1);
      }
      this.wake?.();
    });
    this.child.process.once('exit', () => this.wake?.());
  }

  async open(port: number, specs: ConnectionSpec[]): Promise<OpenResult> {
    this.send({ port, specs, ...STALLED_SOCKET_OPTIONS });
    return JSON.parse(await this.nextLine(120_000)) as OpenResult;
  }

  /** How many of the connections the server has not closed. */
  async stillOpen(): Promise<number> {
    this.child.process.stdin?.write('status\n');
    return (JSON.parse(await this.nextLine(10_000)) as { open: number }).open;
  }

  async close(): Promise<void> {
    this.child.process.stdin?.end();
    await this.child.stop(2000);
  }

  private send(message: unknown): void {
    this.child.process.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  private async nextLine(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (!this.child.running || Date.now() >= deadline) {
        throw new Error(`stalled clients did not answer:\n${this.child.recentOutput}`);
      }
      // oxlint-disable-next-line no-await-in-loop -- waits for the next line, however long
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.lines.shift() ?? '';
  }
}
