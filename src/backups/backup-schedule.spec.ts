import {
  cronMatches,
  isDue,
  parseSchedule,
  scheduleProblem,
  shortestGapMs,
} from './backup-schedule.js';

const at = (iso: string) => new Date(iso);
const ms = (iso: string) => at(iso).getTime();
const cronOf = (text: string) => {
  const schedule = parseSchedule(text);
  if (schedule.kind !== 'cron') throw new Error(`${text} is not a cron schedule`);
  return schedule.fields;
};

describe('parseSchedule', () => {
  it('reads intervals', () => {
    expect(parseSchedule('@every 30m')).toEqual({ kind: 'interval', everyMs: 1_800_000 });
    expect(parseSchedule('  @EVERY 6h ')).toEqual({ kind: 'interval', everyMs: 21_600_000 });
    expect(parseSchedule('@every 1d')).toEqual({ kind: 'interval', everyMs: 86_400_000 });
  });

  it('reads cron fields: lists, ranges, steps and Sunday as 7', () => {
    const fields = cronOf('0,30 9-17/4 */10 1-3 7');
    expect([...fields.minutes]).toEqual([0, 30]);
    expect([...fields.hours]).toEqual([9, 13, 17]);
    expect([...fields.days]).toEqual([1, 11, 21, 31]);
    expect([...fields.months]).toEqual([1, 2, 3]);
    expect([...fields.weekdays]).toEqual([0]);
    expect(fields.daysRestricted).toBe(false);
    expect(fields.weekdaysRestricted).toBe(true);
    expect([...cronOf('50/5 * * * *').minutes]).toEqual([50, 55]);
  });

  it('expands the macros', () => {
    expect(cronOf('@daily')).toEqual(cronOf('0 0 * * *'));
    expect(cronOf('@hourly')).toEqual(cronOf('0 * * * *'));
    expect(cronOf('@weekly')).toEqual(cronOf('0 0 * * 0'));
  });

  it.each([
    ['', 'five fields'],
    ['* * * *', 'five fields'],
    ['* * * * * *', 'five fields'],
    ['60 * * * *', 'minute: 60 is outside 0-59'],
    ['* 24 * * *', 'hour: 24 is outside 0-23'],
    ['* * 0 * *', 'day of month: 0 is outside 1-31'],
    ['* * * 13 *', 'month: 13 is outside 1-12'],
    ['* * * * 8', 'day of week: 8 is outside 0-7'],
    ['5-1 * * * *', 'runs backwards'],
    ['*/0 * * * *', 'step must be at least 1'],
    ['a * * * *', 'not a number'],
    ['1-2-3 * * * *', 'not a range'],
    ['1,,2 * * * *', 'not valid'],
    ['@every 30s', 'at least a minute'],
    ['@every soon', 'at least a minute'],
    ['@sometimes', 'unknown schedule'],
  ])('refuses %j (%s)', (text, problem) => {
    expect(scheduleProblem(text)).toContain(problem);
  });

  it('accepts what it can read', () => {
    expect(scheduleProblem('15 3 * * 1-5')).toBeUndefined();
    expect(scheduleProblem('@every 2h')).toBeUndefined();
  });
});

describe('cronMatches', () => {
  it('matches minute, hour and month in UTC', () => {
    const fields = cronOf('30 2 * 6 *');
    expect(cronMatches(fields, at('2026-06-10T02:30:00Z'))).toBe(true);
    expect(cronMatches(fields, at('2026-06-10T02:31:00Z'))).toBe(false);
    expect(cronMatches(fields, at('2026-07-10T02:30:00Z'))).toBe(false);
  });

  it('matches a day by either field when both are restricted, by both otherwise', () => {
    // 2026-11-28 is a Saturday, 2026-11-29 a Sunday, 2026-12-01 a Tuesday.
    const either = cronOf('0 0 1 * 0');
    expect(cronMatches(either, at('2026-11-29T00:00:00Z'))).toBe(true);
    expect(cronMatches(either, at('2026-12-01T00:00:00Z'))).toBe(true);
    expect(cronMatches(either, at('2026-11-28T00:00:00Z'))).toBe(false);
    const weekdayOnly = cronOf('0 0 * * 6');
    expect(cronMatches(weekdayOnly, at('2026-11-28T00:00:00Z'))).toBe(true);
    expect(cronMatches(weekdayOnly, at('2026-11-29T00:00:00Z'))).toBe(false);
  });
});

describe('isDue', () => {
  it('starts an interval once that long has passed since the last start', () => {
    const schedule = parseSchedule('@every 1h');
    const lastStart = ms('2026-11-28T10:00:00Z');
    expect(isDue(schedule, 0, lastStart, ms('2026-11-28T10:59:59Z'))).toBe(false);
    expect(isDue(schedule, 0, lastStart, ms('2026-11-28T11:00:00Z'))).toBe(true);
  });

  it('starts a cron schedule when one of its minutes began since the previous tick', () => {
    const schedule = parseSchedule('15 * * * *');
    const never = 0;
    expect(isDue(schedule, ms('2026-11-28T10:14:40Z'), never, ms('2026-11-28T10:15:10Z'))).toBe(
      true,
    );
    expect(isDue(schedule, ms('2026-11-28T10:15:10Z'), never, ms('2026-11-28T10:15:40Z'))).toBe(
      false,
    );
    // A tick that came late still catches the minute it missed.
    expect(isDue(schedule, ms('2026-11-28T10:14:40Z'), never, ms('2026-11-28T10:17:00Z'))).toBe(
      true,
    );
  });

  it('does not start twice for one minute', () => {
    const schedule = parseSchedule('15 * * * *');
    const startedInIt = ms('2026-11-28T10:15:01Z');
    expect(
      isDue(schedule, ms('2026-11-28T10:14:40Z'), startedInIt, ms('2026-11-28T10:15:10Z')),
    ).toBe(false);
  });
});

describe('shortestGapMs', () => {
  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;

  it.each([
    ['@every 90m', 90 * MINUTE],
    ['* * * * *', MINUTE],
    ['*/5 * * * *', 5 * MINUTE],
    ['0 * * * *', HOUR],
    ['@hourly', HOUR],
    ['0,50 * * * *', 10 * MINUTE],
    ['30 3 * * *', DAY],
    ['0 1,23 * * *', 2 * HOUR],
    ['0 0 * * 1-5', DAY],
    ['0 12 * * 0', 7 * DAY],
    ['@weekly', 7 * DAY],
    ['0 0 1 * *', 28 * DAY],
    ['0 0 1,15 * *', 14 * DAY],
    ['0 0 28-31 * *', DAY],
    ['0 0 29 2 *', (3 * 365 + 366) * DAY],
    ['0 0 13 * 5', DAY],
  ])('finds %p runs at least %p ms apart', (text, gap) => {
    expect(shortestGapMs(parseSchedule(text))).toBe(gap);
  });

  it('gives Infinity for a day that never comes', () => {
    expect(shortestGapMs(parseSchedule('0 0 31 2 *'))).toBe(Number.POSITIVE_INFINITY);
  });
});
