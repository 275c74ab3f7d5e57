import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The PostgreSQL server the tests create their databases on: the CI machines' (trust
 * authentication, database `test`), or REELAY_TEST_POSTGRES_URL.
 */
export const TEST_POSTGRES_URL =
  process.env.REELAY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The engine the application runs on in the tests: `REELAY_TEST_ENGINE=postgres` runs every test
 * app on a PostgreSQL database of its own (`npm run test:e2e:postgres`); SQLite otherwise.
 */
export const TEST_ENGINE: 'sqlite' | 'postgres' =
  process.env.REELAY_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** A database created for one test, dropped with everything in it when the test is done. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function onServer<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database of its own, so that runs and tests never see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `reelay_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  // A collation like most installations' (ICU en-US), not byte order: a query whose result
  // depends on the collation shows up here rather than on a user's server.
  await onServer((client) =>
    client.query(
      `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'
       LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`,
    ),
  );
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await onServer((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
