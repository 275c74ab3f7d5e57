import { type Kysely, PostgresAdapter } from 'kysely';

/**
 * The column types that differ between the engines. SQLite's `integer` holds 64 bits and its
 * `real` is a double; PostgreSQL's `integer` holds 32 bits (epoch milliseconds would overflow)
 * and its `real` is a float. On SQLite the types stay the ones the first releases created.
 */
export function columnTypes(db: Kysely<unknown>): {
  int64: 'integer' | 'bigint';
  float64: 'real' | 'double precision';
} {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return postgres
    ? { int64: 'bigint', float64: 'double precision' }
    : { int64: 'integer', float64: 'real' };
}
