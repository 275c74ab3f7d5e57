import { type DynamicModule, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cluster from 'node:cluster';
import { accessSync, constants, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { constants as osConstants } from 'node:os';
import { configureApp } from './app.setup.js';
import { ClusterPrimary } from './cluster/cluster-primary.js';
import { serveHandedConnections } from './cluster/cluster-worker.js';
import { listenOn } from './common/listen.js';
import { type AppConfig, ConfigError, loadAppConfig } from './config/app-config.js';
import { processLogger } from './logging/app-logger.js';

/** A start that failed for a reason the operator can fix; its message says all there is to say. */
class StartError extends Error {}

function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    throw new StartError(`DATA_DIR "${dataDir}" cannot be used: ${(error as Error).message}`);
  }
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function listen(app: NestExpressApplication, config: AppConfig): Promise<number> {
  await app.init();
  try {
    await listenOn(app.getHttpServer(), config.port, config.host);
  } catch (error) {
    throw new StartError(
      `Cannot listen on ${urlOf(config.host, config.port)}: ${(error as Error).message}`,
    );
  }
  return (app.getHttpServer().address() as AddressInfo).port;
}

async function startPrimary(config: AppConfig): Promise<number> {
  try {
    return await new ClusterPrimary(config).start();
  } catch (error) {
    throw new StartError(
      `Cannot start ${config.workers} workers on ${urlOf(config.host, config.port)}: ${(error as Error).message}`,
    );
  }
}

/**
 * Signals that come within this of the first count as that one: a Ctrl-C under `npm start` reaches
 * the server twice, from the terminal and passed on by npm, and so does one on a cluster, from the
 * terminal and from the primary.
 */
const SAME_SIGNAL_MS = 1000;

/**
 * Nest drains on the first SIGTERM or SIGINT and ignores the next ones (configureApp). One that
 * comes later, while the drain goes on, ends the process at once, with the code the signal would
 * have left without a handler: what was in flight is left as a crash leaves it (a backup run the
 * next start records as interrupted, an upload's partial file that no media refers to).
 */
function exitOnLaterSignal(logger: Logger): void {
  let firstAt: number | undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      const now = Date.now();
      firstAt ??= now;
      if (now - firstAt < SAME_SIGNAL_MS) return;
      logger.warn(`${signal} during the drain: stopping at once`);
      process.exit(128 + osConstants.signals[signal]);
    });
  }
}

async function bootstrap(rootModule: () => DynamicModule): Promise<void> {
  // Checked before Nest starts, so that a bad value ends the start with its message alone.
  const config = loadAppConfig(process.env);
  // Before anything logs: every `new Logger(...)` of this process writes through it.
  const logger = processLogger(config.log, config.workerIndex);
  Logger.overrideLogger(logger);
  prepareDataDir(config.dataDir);
  if (config.workers > 1 && cluster.isPrimary) {
    const port = await startPrimary(config);
    new Logger('Reelay').log(
      `Listening on ${urlOf(config.host, port)} with ${config.workers} workers (API docs at /api/docs)`,
    );
    return;
  }
  const app = await NestFactory.create<NestExpressApplication>(rootModule(), { logger });
  configureApp(app);
  exitOnLaterSignal(new Logger('Reelay'));
  if (config.workerIndex !== undefined) {
    await app.init();
    serveHandedConnections(app, config.workerIndex);
    return;
  }
  const port = await listen(app, config);
  new Logger('Reelay').log(`Listening on ${urlOf(config.host, port)} (API docs at /api/docs)`);
}

/**
 * Starts the server as `npm start` does: one process, or a cluster's primary and workers
 * (WORKERS). `rootModule` is the application each serving process runs (AppModule, or a module
 * composed around it, as the benchmark's server is); a failed start ends the process with its
 * message and exit code 1.
 */
export function runServer(rootModule: () => DynamicModule): void {
  bootstrap(rootModule).catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof StartError) {
      // For the operator, as the process's last words: plain, whatever LOG_FORMAT says.
      console.error(error.message);
    } else if (error instanceof Error) {
      new Logger('Reelay').fatal(`The server could not start: ${error.message}`, error.stack);
    } else {
      new Logger('Reelay').fatal(`The server could not start: ${String(error)}`);
    }
    process.exit(1);
  });
}
