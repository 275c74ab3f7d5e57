import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { appendFileSync, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AppLogger, processLogger } from '../../src/logging/app-logger.js';
import { LOG_CAPTURE_ENV } from './log-capture.global-teardown.js';

/** The e2e run's log folder (log-capture.global-teardown.ts); unset outside jest's e2e project. */
function runDir(): string | undefined {
  return process.env[LOG_CAPTURE_ENV] || undefined;
}

/** The running suite's file name, which names its files in the run's folder. */
function suiteName(): string {
  const path = expect.getState().testPath;
  return path === undefined ? `process-${process.pid}` : basename(path);
}

function folder(name: 'logs' | 'secrets'): string {
  const dir = join(runDir() as string, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The suite's log file for in-process apps, open while any of its test apps is. */
class SuiteLogFile {
  private fd?: number;
  private users = 0;

  acquire(): void {
    this.users++;
  }

  release(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0 || this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Synchronous, so that nothing waits in memory when the run's check reads the file. */
  write(line: string): void {
    this.fd ??= openSync(join(folder('logs'), `${suiteName()}.${process.pid}.jsonl`), 'a');
    writeSync(this.fd, `${line}\n`);
  }
}

const suiteLog = new SuiteLogFile();

/** Sends each call to every logger, each deciding by its own level. */
class TeeLogger implements LoggerService {
  constructor(private readonly loggers: readonly LoggerService[]) {}

  log(message: unknown, ...params: unknown[]): void {
    for (const logger of this.loggers) logger.log(message, ...params);
  }

  error(message: unknown, ...params: unknown[]): void {
    for (const logger of this.loggers) logger.error(message, ...params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    for (const logger of this.loggers) logger.warn(message, ...params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    for (const logger of this.loggers) logger.debug?.(message, ...params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    for (const logger of this.loggers) logger.verbose?.(message, ...params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    for (const logger of this.loggers) logger.fatal?.(message, ...params);
  }
}

export interface TestAppLogger {
  logger: LoggerService;
  /** Called when the app closes: the suite's log file closes with its last app. */
  release(): void;
}

/**
 * The logger of an in-process test app: warnings and errors on the console, as a server shows
 * them, and within a jest e2e run every line at debug level, as JSON, in the suite's log file.
 */
export function testAppLogger(): TestAppLogger {
  const console = processLogger({ level: 'warn', format: 'pretty' });
  if (runDir() === undefined) return { logger: console, release: () => undefined };
  suiteLog.acquire();
  const file = new AppLogger({
    level: 'debug',
    format: 'json',
    colors: false,
    write: (line) => suiteLog.write(line),
  });
  return { logger: new TeeLogger([file, console]), release: () => suiteLog.release() };
}

/** Appends what a spawned server prints to the run's folder, as it prints it. */
export function captureOutput(stream: NodeJS.ReadableStream | null, pid: number | undefined): void {
  if (runDir() === undefined || stream === null) return;
  const file = join(folder('logs'), `${suiteName()}.child-${pid ?? 'unstarted'}.log`);
  stream.on('data', (chunk: Buffer | string) => appendFileSync(file, chunk));
}

const recorded = new Set<string>();

/**
 * Lists a secret the suite was handed, or set, in the run's folder, for the check at the end of
 * the run: a password, a stream ticket, a refresh cookie's secret, a JWT's payload and signature
 * (its header is the same for every token, and no secret).
 */
export function recordSecret(value: unknown): void {
  if (runDir() === undefined || typeof value !== 'string' || value === '') return;
  const parts = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(value) ? value.split('.').slice(1) : [value];
  const file = join(folder('secrets'), `${suiteName()}.${process.pid}.jsonl`);
  for (const part of parts) {
    if (recorded.has(part)) continue;
    recorded.add(part);
    appendFileSync(file, `${JSON.stringify(part)}\n`);
  }
}

/** The secret of a `refresh=<session id>.<secret>` cookie; the session id is no secret. */
function refreshSecretOf(setCookie: string): string | undefined {
  const match = /^refresh=[^.;]*\.([^;]+)/.exec(setCookie);
  return match?.[1];
}

/**
 * Express middleware of the test apps that records every credential a response hands out (the
 * access token in a body and its cookie, the refresh cookie, a stream ticket) and every password
 * a request sets or logs in with.
 */
export function recordCredentials(request: Request, response: Response, next: NextFunction): void {
  if (runDir() === undefined) return next();
  const json = response.json.bind(response);
  response.json = (body: unknown) => {
    const fields = (body ?? {}) as { accessToken?: unknown; ticket?: unknown };
    recordSecret(fields.accessToken);
    recordSecret(fields.ticket);
    return json(body);
  };
  response.once('finish', () => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    for (const [name, value] of Object.entries(body)) {
      if (/password/i.test(name)) recordSecret(value);
    }
    const cookies = response.getHeader('set-cookie');
    for (const cookie of Array.isArray(cookies) ? cookies : []) {
      if (cookie.startsWith('token=')) recordSecret(cookie.slice(6).split(';')[0]);
      recordSecret(refreshSecretOf(cookie));
    }
  });
  next();
}
