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
