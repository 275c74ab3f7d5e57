import { Client } from 'pg';

/** The PostgreSQL the tests use too (trust authentication): databases are created on it. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** An administrative statement that takes longer than this has hung: the run goes on without it. */
const STATEMENT_TIMEOUT_MS = 30_000;

/**
 * The databases created and not dropped yet, with the server each is on: what a run must drop
 * however it ends, an interrupted one included (see `dropLiveDatabases`).
 */
const liveDatabases = new Map<string, BenchPostgres>();
/** CREATE DATABASE statements not answered yet: the way out waits for them, then drops those too. */
const pendingCreates = new Set<Promise<unknown>>();
/** Set on the way out: the run, which learns of it only later, creates no more meanwhile. */
let droppingAll = false;

/**
 * The PostgreSQL server the `reelay-postgres` contender's databases are created on: a template
 * seeded once, and a copy of it for each start, dropped when that start stops.
 */
export class BenchPostgres {
  private constructor(
    private readonly serverUrl: string,
    /** How the report names it: the server's address and version, never its credentials. */
    readonly description: string,
  ) {}

  /** Connects once to check that the server answers, before anything is seeded. */
  static async connect(serverUrl: string): Promise<BenchPostgres> {
    const { hostname, port } = new URL(serverUrl);
    const address = `${hostname}:${port || 5432}`;
    let version: string;
    try {
      version = await onServer(serverUrl, async (client) => {
        const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
        return rows[0].server_version;
      });
    } catch (error) {
      throw new Error(
        `PostgreSQL at ${address} does not answer (${error instanceof Error ? error.message : String(error)}): ` +
          'name another with --postgres-url, or leave reelay-postgres out of --contenders',
        { cause: error },
      );
    }
    return new BenchPostgres(serverUrl, `PostgreSQL ${version} at ${address}`);
  }

  /** The URL Reelay connects to `database` with: the server's, with the database swapped in. */
  urlOf(database: string): string {
    const url = new URL(this.serverUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }

  /**
   * Creates `database`, empty or as a copy of `template` (which nobody may be connected to):
   * a copy costs a few milliseconds, where seeding through the REST API takes seconds.
   */
  async create(database: string, template?: string): Promise<void> {
    if (droppingAll) throw new Error(`not creating ${database}: the run is ending`);
    liveDatabases.set(database, this);
    const creating = onServer(this.serverUrl, (client) =>
      client.query(
        `CREATE DATABASE ${database}${template === undefined ? '' : ` TEMPLATE ${template}`}`,
      ),
    );
    pendingCreates.add(creating);
    try {
      await creating;
    } finally {
      pendingCreates.delete(creating);
    }
  }

  /** Drops `database`, ending the connections a server that did not stop cleanly left open. */
  async drop(database: string): Promise<void> {
    await onServer(this.serverUrl, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
    );
    liveDatabases.delete(database);
  }

  /** The server processes (backends) serving connections to `database` now. */
  async backendPids(database: string): Promise<number[]> {
    return onServer(this.serverUrl, async (client) => {
      const { rows } = await client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = $1',
        [database],
      );
      return rows.map((row) => row.pid);
    });
  }
}

/** Runs `work` on a connection of its own to the server's administrative database. */
async function onServer<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    connectionString: serverUrl,
    connectionTimeoutMillis: 5000,
    query_timeout: STATEMENT_TIMEOUT_MS,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops every database the run created and has not dropped yet; for the run's way out. */
export async function dropLiveDatabases(): Promise<void> {
  droppingAll = true;
  await Promise.allSettled(pendingCreates);
  await Promise.all(
    [...liveDatabases].map(([database, server]) => server.drop(database).catch(() => undefined)),
  );
}
