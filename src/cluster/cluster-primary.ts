import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { AppModule } from '../app.module.js';
import { listenOn } from '../common/listen.js';
import { reconnectDelayMs } from '../events/stream-supervisor.js';
import type { AppConfig } from '../config/app-config.js';
import { ClusterMetrics } from '../metrics/cluster-metrics.js';
import { listenForScrapes } from '../metrics/metrics-listener.js';
import { workerOfRequest } from './engine-session-id.js';

/** What a worker tells the primary. */
export const WORKER_READY = 'reelay:ready';
/** What the primary sends a worker with a connection's socket: the bytes it read first. */
export const CONNECTION = 'reelay:connection';

export interface ConnectionMessage {
  type: typeof CONNECTION;
  head: string;
}

/**
 * The cluster's primary: sets the data up once, starts `config.workers` workers (each a whole
 * Reelay on the Redis bus), and hands them the connections it accepts. It reads the first bytes
 * of each connection to find an engine.io session's worker in the request line; every other
 * connection goes round the workers in turn. The socket itself goes to the worker, which reads
 * the rest: the primary never carries a byte of a response, but for its own refusal (503) when no
 * worker can take a connection, or once the cluster stops.
 *
 * On SIGTERM or SIGINT each worker drains its own connections and work (README, "Stopping") while
 * the primary refuses new connections, and the primary exits once they all have, with 0 if each
 * did. A later signal is passed on: the workers then stop at once.
 */
export class ClusterPrimary {
  private readonly logger = new Logger('Reelay');
  private readonly workers: (Worker | undefined)[];
  private readonly server: Server;
  private readonly metrics = new ClusterMetrics();
  private next = 0;
  private stopping = false;

  constructor(private readonly config: AppConfig) {
    this.workers = Array.from<Worker | undefined>({ length: config.workers });
    this.server = createServer((socket) => this.route(socket));
  }

  /** Resolves with the port once every worker is ready and the port is open. */
  async start(): Promise<number> {
    await this.setUpOnce();
    await Promise.all(this.workers.map((_, index) => this.fork(index)));
    cluster.on('exit', (worker, code, signal) => this.replace(worker, code, signal));
    this.metrics.answerWorkers();
    const { metricsPort, metricsHost } = this.config;
    if (metricsPort !== undefined) await listenForScrapes(this.metrics, metricsPort, metricsHost);
    await listenOn(this.server, this.config.port, this.config.host);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => this.onSignal());
    }
    return (this.server.address() as { port: number }).port;
  }

  /**
   * Migrations, the JWT secret, the first admin and runs a previous start left in progress:
   * done by one application context before any worker starts, so that workers never race.
   */
  private async setUpOnce(): Promise<void> {
    // Without a `logger` option the context keeps the process's own (src/server.ts).
    const context = await NestFactory.createApplicationContext(AppModule.forRoot());
    await context.close();
  }

  /** Starts worker `index`; it gets connections once it says it is ready. */
  private fork(index: number): Promise<void> {
    const worker = cluster.fork({ REELAY_WORKER_INDEX: String(index) });
    return new Promise((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if ((message as { type?: unknown })?.type !== WORKER_READY) return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        this.workers[index] = worker;
        resolve();
      };
      const onExit = (code: number) => reject(new Error(`worker ${index} exited with ${code}`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
  }

  private replace(worker: Worker, code: number, signal: string | null): void {
    const index = this.workers.indexOf(worker);
    if (index < 0 || this.stopping) return;
    this.workers[index] = undefined;
    this.logger.error(`Worker ${index} stopped (${signal ?? code}); starting another`);
    this.fork(index).then(
      () => this.logger.log(`Worker ${index} is back`),
      (error: unknown) =>
        this.logger.error(`Worker ${index} could not start again: ${String(error)}`),
    );
  }

  private route(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    socket.once('data', (head: Buffer) => {
      socket.pause();
      const worker = this.stopping ? undefined : this.workerFor(head);
      if (!worker) {
        socket.end(this.refusal());
        // What the client still sends is read and dropped: a socket closed on unread bytes is
        // reset, and the reset can overtake the answer.
        socket.resume();
        return;
      }
      const message: ConnectionMessage = { type: CONNECTION, head: head.toString('base64') };
      worker.send(message, socket, { keepOpen: false }, (error) => {
        if (error) socket.destroy();
      });
    });
  }

  /** The worker of the request's engine.io session, else the next live one in turn. */
  private workerFor(head: Buffer): Worker | undefined {
    const owner = workerOfRequest(head);
    if (owner !== undefined) return this.workers[owner];
    for (let tried = 0; tried < this.workers.length; tried++) {
      const worker = this.workers[this.next];
      this.next = (this.next + 1) % this.workers.length;
      if (worker?.isConnected()) return worker;
    }
    return undefined;
  }

  /**
   * 503 with `Retry-After` and the JSON error body: while the cluster stops, drawn as its workers
   * tell the streams they send away; when no worker is ready, after the retry delay.
   */
  private refusal(): string {
    const delayMs = this.stopping ? reconnectDelayMs(this.config.sse) : this.config.sse.retryMs;
    const body = JSON.stringify({
      statusCode: 503,
      error: 'Service Unavailable',
      message: this.stopping
        ? 'The server is shutting down; try again shortly'
        : 'No worker is ready; try again shortly',
    });
    return (
      'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Retry-After: ${Math.max(1, Math.ceil(delayMs / 1000))}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    );
  }

  private onSignal(): void {
    if (!this.stopping) {
      void this.stop();
      return;
    }
    for (const worker of this.live()) worker.process.kill('SIGTERM');
  }

  private live(): Worker[] {
    return this.workers.filter(
      (worker): worker is Worker => worker !== undefined && !worker.isDead(),
    );
  }

  /** Each worker drains; the port stays open meanwhile, for new connections to be refused. */
  private async stop(): Promise<void> {
    this.stopping = true;
    const exitCodes = await Promise.all(
      this.live().map(
        (worker) =>
          new Promise<number | null>((resolve) => {
            worker.once('exit', (code: number | null) => resolve(code));
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    this.server.close();
    process.exit(exitCodes.every((code) => code === 0) ? 0 : 1);
  }
}
