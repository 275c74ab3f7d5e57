import { databaseUnavailable, violates } from './database-errors.js';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('database errors', () => {
  it('recognises a constraint violation of either engine by its code', () => {
    expect(violates(withCode('SQLITE_CONSTRAINT_UNIQUE'), 'UNIQUE')).toBe(true);
    expect(violates(withCode('23505'), 'UNIQUE')).toBe(true);
    expect(violates(withCode('SQLITE_CONSTRAINT_FOREIGNKEY'), 'FOREIGNKEY')).toBe(true);
    expect(violates(withCode('23503'), 'FOREIGNKEY')).toBe(true);
    expect(violates(withCode('23505'), 'FOREIGNKEY')).toBe(false);
    expect(violates(withCode('SQLITE_CONSTRAINT_UNIQUE'), 'FOREIGNKEY')).toBe(false);
    expect(violates(undefined, 'UNIQUE')).toBe(false);
  });

  it('tells an unreachable database from a failed query', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', 'SQLITE_BUSY']) {
      expect({ code, unavailable: databaseUnavailable(withCode(code)) }).toEqual({
        code,
        unavailable: true,
      });
    }
    expect(databaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(databaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    for (const error of [withCode('23505'), withCode('42P01'), new Error('syntax'), null, 'x']) {
      expect(databaseUnavailable(error)).toBe(false);
    }
  });
});
