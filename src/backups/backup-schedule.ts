import { parseDurationSeconds } from '../config/app-config.js';

/** A parsed schedule: minutes of a cron expression (UTC), or a fixed interval. */
export type BackupSchedule =
  { kind: 'cron'; fields: CronFields } | { kind: 'interval'; everyMs: number };

export interface CronFields {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 is Sunday. */
  weekdays: ReadonlySet<number>;
  /** Cron matches a day by either field when both are restricted, else by both. */
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

export class ScheduleError extends Error {}

const MINUTE_MS = 60_000;
/** How far back a due check looks, at most: a tick never has to walk more minutes than this. */
const MAX_WINDOW_MINUTES = 24 * 60;
const MIN_INTERVAL_SECONDS = 60;

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

function parseNumber(text: string, field: (typeof FIELDS)[number]): number {
  if (!/^\d{1,2}$/.test(text)) throw new ScheduleError(`${field.name}: "${text}" is not a number`);
  const value = Number(text);
  if (value < field.min || value > field.max) {
    throw new ScheduleError(`${field.name}: ${value} is outside ${field.min}-${field.max}`);
  }
  return value;
}

/** One cron field: `*`, `n`, `a-b`, each optionally `/step`, separated by commas. */
function parseField(text: string, field: (typeof FIELDS)[number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(part);
    if (!match) throw new ScheduleError(`${field.name}: "${part}" is not valid`);
    const [, range, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw new ScheduleError(`${field.name}: the step must be at least 1`);
    let from: number;
    let to: number;
    if (range === '*') {
      [from, to] = [field.min, field.max];
    } else if (range.includes('-')) {
      const [low, high, ...rest] = range.split('-');
      if (rest.length > 0) throw new ScheduleError(`${field.name}: "${range}" is not a range`);
      [from, to] = [parseNumber(low, field), parseNumber(high, field)];
      if (from > to) throw new ScheduleError(`${field.name}: ${from}-${to} runs backwards`);
    } else {
      from = parseNumber(range, field);
      to = stepText === undefined ? from : field.max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

/**
 * Reads a schedule: a five-field cron expression (minute hour day-of-month month day-of-week,
 * numbers only, evaluated in UTC), one of `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`,
 * or `@every <duration>` (such as `@every 30m`, `@every 6h`, `@every 1d`; at least a minute).
 */
export function parseSchedule(text: string): BackupSchedule {
  const trimmed = text.trim().toLowerCase();
  const every = /^@every\s+(.+)$/.exec(trimmed);
  if (every) {
    const seconds = parseDurationSeconds(every[1]);
    if (seconds === undefined || seconds < MIN_INTERVAL_SECONDS) {
      throw new ScheduleError('@every needs a duration of at least a minute, such as 30m or 6h');
    }
    return { kind: 'interval', everyMs: seconds * 1000 };
  }
  const expression = MACROS[trimmed] ?? trimmed;
  if (expression.startsWith('@')) throw new ScheduleError(`unknown schedule "${text}"`);
  const parts = expression.split(/\s+/);
  if (parts.length !== FIELDS.length) {
    throw new ScheduleError('a cron schedule has five fields: minute hour day month weekday');
  }
  const [minutes, hours, days, months, weekdays] = parts.map((part, index) =>
    parseField(part, FIELDS[index]),
  );
  if (weekdays.delete(7)) weekdays.add(0);
  return {
    kind: 'cron',
    fields: {
      minutes,
      hours,
      days,
      months,
      weekdays,
      daysRestricted: !parts[2].startsWith('*'),
      weekdaysRestricted: !parts[4].startsWith('*'),
    },
  };
}

/** Why a schedule is refused, or undefined when it is valid. */
export function scheduleProblem(text: string): string | undefined {
  try {
    parseSchedule(text);
    return undefined;
  } catch (error) {
    if (error instanceof ScheduleError) return error.message;
    throw error;
  }
}

/** Whether the cron expression names the minute that starts at `time` (UTC). */
export function cronMatches(fields: CronFields, time: Date): boolean {
  return (
    fields.minutes.has(time.getUTCMinutes()) &&
    fields.hours.has(time.getUTCHours()) &&
    dayMatches(fields, time)
  );
}

/** Whether the cron expression runs at all on the UTC day of `time`. */
function dayMatches(fields: CronFields, time: Date): boolean {
  if (!fields.months.has(time.getUTCMonth() + 1)) return false;
  const byDay = fields.days.has(time.getUTCDate());
  const byWeekday = fields.weekdays.has(time.getUTCDay());
  return fields.daysRestricted && fields.weekdaysRestricted
    ? byDay || byWeekday
    : byDay && byWeekday;
}

/**
 * Whether a scheduled backup should start at a tick at `now`, the previous tick being at
 * `previousTick` and its last run having started at `lastStart`: a cron schedule when one of its
 * minutes began since the previous tick (and no run started in it yet), an interval when that
 * long has passed since the last start.
 */
export function isDue(
  schedule: BackupSchedule,
  previousTick: number,
  lastStart: number,
  now: number,
): boolean {
  if (schedule.kind === 'interval') return now - lastStart >= schedule.everyMs;
  const from = Math.max(
    Math.floor(previousTick / MINUTE_MS) + 1,
    Math.floor(now / MINUTE_MS) - MAX_WINDOW_MINUTES + 1,
  );
  for (let minute = Math.floor(now / MINUTE_MS); minute >= from; minute--) {
    if (cronMatches(schedule.fields, new Date(minute * MINUTE_MS))) {
      return lastStart < minute * MINUTE_MS;
    }
  }
  return false;
}

/** Weekdays and leap years line up again after 28 years (within one century). */
const CALENDAR_CYCLE_DAYS = 28 * 365 + 7;
const CALENDAR_CYCLE_START = Date.UTC(2001, 0, 1);
const DAY_MS = 86_400_000;

/**
 * The shortest time a schedule lets pass between two runs: the interval of `@every`; for cron,
 * the closest two run minutes of one day, or the last of a day and the first of the next day it
 * runs, whichever is shorter. Infinity for a schedule that runs at most once in 28 years.
 */
export function shortestGapMs(schedule: BackupSchedule): number {
  if (schedule.kind === 'interval') return schedule.everyMs;
  const { fields } = schedule;
  const times = [...fields.hours]
    .flatMap((hour) => [...fields.minutes].map((minute) => hour * 60 + minute))
    .sort((a, b) => a - b);
  let shortestMinutes = Number.POSITIVE_INFINITY;
  for (let index = 1; index < times.length; index++) {
    shortestMinutes = Math.min(shortestMinutes, times[index] - times[index - 1]);
  }
  let previousDay: number | undefined;
  let fewestDaysApart = Number.POSITIVE_INFINITY;
  for (let day = 0; day < CALENDAR_CYCLE_DAYS && fewestDaysApart > 1; day++) {
    if (!dayMatches(fields, new Date(CALENDAR_CYCLE_START + day * DAY_MS))) continue;
    if (previousDay !== undefined) fewestDaysApart = Math.min(fewestDaysApart, day - previousDay);
    previousDay = day;
  }
  const acrossDays = fewestDaysApart * 24 * 60 + times[0] - times[times.length - 1];
  return Math.min(shortestMinutes, acrossDays) * MINUTE_MS;
}

/** A gap as people write it: `90m`, `6h`, `7d`. */
export function describeGap(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % (60 * MINUTE_MS) === 0) return `${ms / (60 * MINUTE_MS)}h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS}m`;
  return `${Math.ceil(ms / 1000)}s`;
}
