export type ConstraintKind = 'UNIQUE' | 'FOREIGNKEY';

/**
 * Whether SQLite refused a write for that kind of constraint (a taken key, a vanished row). By
 * its code, as better-sqlite3 sets it: the error class may come from another module instance.
 */
export function violates(error: unknown, constraint: ConstraintKind): boolean {
  return (error as { code?: unknown } | null)?.code === `SQLITE_CONSTRAINT_${constraint}`;
}
