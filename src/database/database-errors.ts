export type ConstraintKind = 'UNIQUE' | 'FOREIGNKEY';

/** PostgreSQL's SQLSTATE for each kind. */
const POSTGRES_CODES: Record<ConstraintKind, string> = {
  UNIQUE: '23505',
  FOREIGNKEY: '23503',
};

/**
 * Whether the database refused a write for that kind of constraint (a taken key, a vanished
 * row), on either engine. By its code, as better-sqlite3 and pg set it: the error class may come
 * from another module instance.
 */
export function violates(error: unknown, constraint: ConstraintKind): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === `SQLITE_CONSTRAINT_${constraint}` || code === POSTGRES_CODES[constraint];
}

/**
 * The database cannot be reached or will not take sessions now: the network (refused, reset,
 * timed out), PostgreSQL shutting down or starting up (57P0x) or any connection exception
 * (08xxx), SQLite locked beyond its busy timeout.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  'SQLITE_BUSY',
]);

/** pg's own words for a pool that could not connect in time and a connection lost mid-query. */
const UNAVAILABLE_MESSAGES = ['timeout exceeded when trying to connect', 'Connection terminated'];

/** Whether a query failed because the database is unavailable, not because of the query. */
export function databaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) {
    return true;
  }
  return (
    typeof message === 'string' && UNAVAILABLE_MESSAGES.some((words) => message.startsWith(words))
  );
}
