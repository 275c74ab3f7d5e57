import type { GeneratorCommand, GeneratorReply, GeneratorRequest } from '../generator/protocol.js';
import { ManagedChild } from './children.js';

/** The orchestrator's end of a load generator process. */
export class GeneratorHandle {
  readonly child: ManagedChild;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  constructor(script: string) {
    this.child = new ManagedChild({
      name: 'generator',
      script,
      nodeArgs: ['--max-old-space-size=4096'],
      ipc: true,
    });
    this.child.process.on('message', (message: GeneratorReply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error));
    });
    this.child.process.once('exit', () => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`generator exited:\n${this.child.recentOutput}`));
      }
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  call<T>(command: GeneratorCommand): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const request: GeneratorRequest = { id, command };
      this.child.process.send(request, (error) => {
        if (error) {
          this.pending.delete(id);
          reject(error);
        }
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.process.connected) this.child.process.disconnect();
    await this.child.stop(2000);
  }
}
