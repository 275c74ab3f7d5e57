import { Logger, type LogLevel } from '@nestjs/common';
import { AppLogger, type AppLoggerOptions } from './app-logger.js';
import type { LogThreshold } from './log-settings.js';
import { runInRequest } from './request-context.js';

const TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';

interface Written {
  line: string;
  level: LogLevel;
}

/** A logger whose lines are kept, and the Nest `Logger` of `context` writing through it. */
function loggerWith(options: Partial<AppLoggerOptions> & { level?: LogThreshold } = {}) {
  const written: Written[] = [];
  const appLogger = new AppLogger({
    level: 'debug',
    format: 'json',
    colors: false,
    write: (line, level) => written.push({ line, level }),
    ...options,
  });
  Logger.overrideLogger(appLogger);
  const records = () => written.map(({ line }) => JSON.parse(line) as Record<string, unknown>);
  return { logger: new Logger('Probe'), written, records };
}

describe('AppLogger', () => {
  afterEach(() => Logger.overrideLogger(new Logger()));

  it('writes each message as one JSON object per line, as Nest loggers call it', () => {
    const { logger, written, records } = loggerWith();
    logger.log('listening');
    logger.warn('slow', { durationMs: 1200 });
    logger.debug('details');
    logger.verbose('more details');
    expect(written.every(({ line }) => !line.includes('\n'))).toBe(true);
    const [log, warn, debug, verbose] = records();
    expect(log).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
      level: 'info',
      pid: process.pid,
      context: 'Probe',
      message: 'listening',
    });
    expect(warn).toMatchObject({ level: 'warn', message: 'slow', durationMs: 1200 });
    expect(debug).toMatchObject({ level: 'debug', message: 'details' });
    expect(verbose).toMatchObject({ level: 'debug', message: 'more details' });
  });

  it.each<[LogThreshold, string[]]>([
    ['error', ['fatal', 'error']],
    ['warn', ['fatal', 'error', 'warn']],
    ['info', ['fatal', 'error', 'warn', 'info']],
    ['debug', ['fatal', 'error', 'warn', 'info', 'debug', 'debug']],
  ])('at LOG_LEVEL=%s writes %j', (level, expected) => {
    const { logger, records } = loggerWith({ level });
    logger.fatal('f');
    logger.error('e');
    logger.warn('w');
    logger.log('l');
    logger.debug('d');
    logger.verbose('v');
    expect(records().map((record) => record.level)).toEqual(expected);
  });

  it('puts an error stack under `stack`, from the stack argument or from an Error', () => {
    const { logger, written, records } = loggerWith();
    const error = new TypeError('broken');
    logger.error('it failed', error.stack);
    logger.error(error);
    const [withStack, fromError] = records();
    expect(withStack).toMatchObject({ level: 'error', message: 'it failed', context: 'Probe' });
    expect(withStack.stack).toBe(error.stack);
    expect(fromError).toMatchObject({ message: 'broken', stack: error.stack });
    expect(written.map(({ level }) => level)).toEqual(['error', 'error']);
  });

  it('keeps the line its own: fields cannot replace its level, time or message', () => {
    const { logger, records } = loggerWith();
    logger.log('real', { level: 'fatal', message: 'forged', time: 'never', extra: 1 });
    expect(records()[0]).toMatchObject({ level: 'info', message: 'real', extra: 1 });
    expect(records()[0].time).not.toBe('never');
  });

  it('tells the request a line was written for, while the request is in progress', async () => {
    const { logger, records } = loggerWith();
    const context = { requestId: 'req-1', finished: false };
    logger.log('before');
    await runInRequest(context, async () => {
      logger.log('during');
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.log('after a wait');
      context.finished = true;
      logger.log('after the response');
    });
    expect(records().map((record) => record.requestId)).toEqual([
      undefined,
      'req-1',
      'req-1',
      undefined,
    ]);
  });

  it('names the cluster worker on every line', () => {
    const { logger, records } = loggerWith({ worker: 3 });
    logger.log('hello');
    expect(records()[0]).toMatchObject({ worker: 3 });
  });

  it('redacts messages, fields, objects and stacks', () => {
    const { logger, written, records } = loggerWith();
    logger.log(`GET /sse?token=${TOKEN}`);
    logger.log('login', {
      body: { username: 'a', password: 'p4ss-word' },
      note: `Bearer ${TOKEN}`,
    });
    logger.debug({ headers: { authorization: `Bearer ${TOKEN}`, cookie: `token=${TOKEN}` } });
    logger.error(new Error(`refused ${TOKEN}`));
    logger.log('big', { count: 10n ** 20n });
    const everything = written.map(({ line }) => line).join('\n');
    expect(everything).not.toContain('c2lnbmF0dXJlLW9mLXRoZS10b2tlbg');
    expect(everything).not.toContain('p4ss-word');
    const [url, fields, object, error, big] = records();
    expect(url.message).toBe('GET /sse?token=[REDACTED]');
    expect(fields).toMatchObject({
      body: { username: 'a', password: '[REDACTED]' },
      note: 'Bearer [REDACTED]',
    });
    expect(object.message).toEqual({
      headers: { authorization: '[REDACTED]', cookie: '[REDACTED]' },
    });
    expect(error).toMatchObject({ message: 'refused [REDACTED]' });
    expect(error.stack).toMatch(/^Error: refused \[REDACTED\]\n\s+at /);
    expect(big.count).toBe('100000000000000000000');
  });

  describe('pretty', () => {
    it('writes a line for a human: time, level, worker, context, message, request', () => {
      const { logger, written } = loggerWith({ format: 'pretty', worker: 1 });
      runInRequest({ requestId: 'req-9', finished: false }, () => logger.warn('slow disk'));
      logger.log(`token=${TOKEN}`);
      const [warn, log] = written.map(({ line }) => line);
      expect(warn).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}w1 \[Probe\] slow disk \(request req-9\)$/,
      );
      expect(log).toMatch(/ INFO {2}w1 \[Probe\] token=\[REDACTED\]$/);
      // oxlint-disable-next-line no-control-regex -- no colour escape without a terminal
      expect(written.some(({ line }) => /\u001b\[/.test(line))).toBe(false);
    });

    it('colours only when asked, and never lets a message move the cursor', () => {
      const { logger, written } = loggerWith({ format: 'pretty', colors: true });
      logger.error('bad \u001b[2J input\r', new Error('x').stack);
      const [line] = written.map((entry) => entry.line);
      expect(line).toContain('\u001b[31mERROR\u001b[0m');
      expect(line).toContain('bad \\x1b[2J input\\x0d');
      expect(line.split('\n')[1]).toContain('Error: x');
    });
  });
});
