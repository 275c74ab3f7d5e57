import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { AppModule } from '../app.module.js';
import { listenOn } from '../common/listen.js';
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
 * the rest: the primary never carries a byte of a response.
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
      process.once(signal, () => void this.stop());
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
      const worker = this.workerFor(head);
      if (!worker) {
        socket.end(
          'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
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

  private async stop(): Promise<void> {
    this.stopping = true;
    this.server.close();
    const live = this.workers.filter((worker): worker is Worker => worker !== undefined);
    await Promise.all(
      live.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    process.exit(0);
  }
}
