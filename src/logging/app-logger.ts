import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { inspect } from 'node:util';
import { redactText, redactValue } from './log-redaction.js';
import type { LogSettings, LogThreshold } from './log-settings.js';
import { currentRequestId } from './request-context.js';

/** Nest's levels each threshold lets through; `debug` takes Nest's `verbose` along. */
const NEST_LEVELS: Record<LogThreshold, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** A line's `level`, named as LOG_LEVEL names them (Nest's `log` is `info`). */
const LEVEL_NAMES: Record<LogLevel, string> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'debug',
};

const ANSI = {
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  green: '\u001b[32m',
  magenta: '\u001b[35m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
  reset: '\u001b[0m',
};

const LEVEL_COLOURS: Record<string, string> = {
  fatal: ANSI.bold + ANSI.red,
  error: ANSI.red,
  warn: ANSI.yellow,
  info: ANSI.green,
  debug: ANSI.magenta,
};

/** Control characters but newline and tab: a message must not move a terminal's cursor. */
// oxlint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

export interface AppLoggerOptions {
  level: LogThreshold;
  format: 'json' | 'pretty';
  /** ANSI colours in the pretty format. */
  colors: boolean;
  /** The cluster worker this process is, carried by every line. */
  worker?: number;
  /** Writes one finished line (without its newline). */
  write: (line: string, level: LogLevel) => void;
}

/** One line as the JSON format writes it; the pretty format shows the same facts. */
interface LogRecord {
  time: string;
  level: string;
  pid: number;
  worker?: number;
  context?: string;
  requestId?: string;
  message: unknown;
  [field: string]: unknown;
}

/**
 * Reelay's logger: every `new Logger(...)` of the application writes through it once it is
 * installed (NestFactory's `logger` option, `Logger.overrideLogger`). It keeps ConsoleLogger's
 * reading of Nest's arguments (context last, an error's stack, plain objects after the message
 * as the line's fields) and its level checks, and writes each message as one line: JSON or
 * pretty, with the id of the request it was written for, every secret of a known shape redacted
 * (log-redaction.ts).
 */
export class AppLogger extends ConsoleLogger {
  constructor(private readonly settings: AppLoggerOptions) {
    super({ logLevels: NEST_LEVELS[settings.level] });
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    _stream?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    const fields = params === undefined ? {} : (redactValue(params) as Record<string, unknown>);
    messages.forEach((message, index) => {
      const record = this.record(
        this.resolveMessage(message),
        context,
        logLevel,
        index === 0 ? errorStack : undefined,
        fields,
      );
      this.settings.write(
        this.settings.format === 'json' ? jsonLine(record) : this.prettyLine(record),
        logLevel,
      );
    });
  }

  /** Part of the line itself (the `stack` field), not printed apart. */
  protected override printStackTrace(): void {}

  private record(
    message: unknown,
    context: string,
    logLevel: LogLevel,
    errorStack: unknown,
    fields: Record<string, unknown>,
  ): LogRecord {
    const worker = this.settings.worker;
    // A line written for a request after it ended (its access line) names the request itself.
    const requestId =
      currentRequestId() ?? (typeof fields.requestId === 'string' ? fields.requestId : undefined);
    let stack = typeof errorStack === 'string' ? errorStack : undefined;
    if (message instanceof Error) stack ??= message.stack;
    const record: LogRecord = {
      time: new Date().toISOString(),
      level: LEVEL_NAMES[logLevel],
      pid: process.pid,
      ...(worker === undefined ? {} : { worker }),
      ...(context === '' ? {} : { context }),
      ...(requestId === undefined ? {} : { requestId }),
      message:
        message instanceof Error
          ? redactText(message.message)
          : typeof message === 'string'
            ? redactText(message)
            : redactValue(message),
    };
    for (const [key, value] of Object.entries(fields)) {
      if (!(key in record)) record[key] = value;
    }
    if (stack !== undefined) record.stack = redactText(stack);
    return record;
  }

  private prettyLine(record: LogRecord): string {
    const paint = (colour: string, text: string) =>
      this.settings.colors ? `${colour}${text}${ANSI.reset}` : text;
    const message =
      typeof record.message === 'string'
        ? record.message
        : inspect(record.message, { compact: true, breakLength: Infinity, depth: 5 });
    const parts = [
      paint(ANSI.dim, record.time),
      paint(LEVEL_COLOURS[record.level], record.level.toUpperCase().padEnd(5)),
    ];
    if (record.worker !== undefined) parts.push(`w${record.worker}`);
    if (record.context !== undefined) parts.push(paint(ANSI.yellow, `[${record.context}]`));
    parts.push(message.replace(CONTROL_CHARACTERS, escapeControl));
    if (record.requestId !== undefined)
      parts.push(paint(ANSI.dim, `(request ${record.requestId})`));
    const stack = typeof record.stack === 'string' ? `\n${paint(ANSI.dim, record.stack)}` : '';
    return parts.join(' ') + stack;
  }
}

function escapeControl(character: string): string {
  return `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

function jsonLine(record: LogRecord): string {
  return JSON.stringify(record, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/**
 * The logger of a Reelay process, writing to its stdout (errors to stderr, as Nest's own logger
 * does): pretty on a terminal unless LOG_FORMAT says otherwise, coloured when the terminal takes
 * colours (NO_COLOR and FORCE_COLOR are honoured).
 */
export function processLogger(settings: LogSettings, worker?: number): AppLogger {
  const onTerminal = process.stdout.isTTY;
  const format = settings.format === 'auto' ? (onTerminal ? 'pretty' : 'json') : settings.format;
  return new AppLogger({
    level: settings.level,
    format,
    colors: format === 'pretty' && onTerminal && process.stdout.hasColors(),
    worker,
    write: (line, level) => {
      const stream = level === 'error' || level === 'fatal' ? process.stderr : process.stdout;
      stream.write(`${line}\n`);
    },
  });
}
