import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  type RawBuilder,
  sql,
  SqliteDialect,
} from 'kysely';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, TypeOverrides, types } from 'pg';
import type { AppConfig, DatabaseConfig } from '../config/app-config.js';
import { copyRows } from './database-copy.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';

export type DatabaseEngine = DatabaseConfig['engine'];

/** The SQLite file of the embedded default, under DATA_DIR. */
export const SQLITE_FILE = 'reelay.db';

/** How long a readiness check waits for the database before calling it down. */
const PING_TIMEOUT_MS = 2000;
/** How long a query waits for a free connection of the pool (PostgreSQL) before it fails. */
const CONNECT_TIMEOUT_MS = 5000;

class StaticMigrationProvider implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(MIGRATIONS);
  }
}

/** Applies the migrations `db` lacks; returns their names. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? [])
    .filter((result) => result.status === 'Success')
    .map((result) => result.migrationName);
}

/**
 * Opens the embedded SQLite file the way every part of Reelay expects it: WAL (workers share
 * it), foreign keys enforced, and writers waiting for one another rather than failing.
 */
export function openSqlite(file: string): SqliteDatabase.Database {
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return sqlite;
}

/**
 * A pool whose bigints come back as numbers, as SQLite's integers do, so that repositories see
 * the same rows on both engines: epoch milliseconds, byte counts and counts stay below 2^53.
 */
export function openPostgresPool(url: string, poolSize: number): Pool {
  const parsers = new TypeOverrides();
  parsers.setTypeParser(types.builtins.INT8, Number);
  return new Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    types: parsers,
  });
}

/**
 * Owns the database: SQLite under DATA_DIR (the embedded default) or PostgreSQL (DATABASE_URL),
 * applies migrations, and hands out the query builder, the same on both engines. Built by
 * DatabaseModule's factory, which migrates before anyone can inject it.
 */
export class DatabaseService implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);
  readonly engine: DatabaseEngine;
  /**
   * SQLite's raw connection, for what must be synchronous or the query builder does not cover
   * (the embedded event log, online backups); undefined on PostgreSQL.
   */
  readonly sqlite: SqliteDatabase.Database | undefined;
  /** PostgreSQL's pool, for the backup snapshot's own connection; undefined on SQLite. */
  readonly pool: Pool | undefined;
  readonly db: Kysely<Database>;
  private readonly closeHooks: (() => void | Promise<void>)[] = [];

  constructor(config: AppConfig) {
    this.engine = config.database.engine;
    if (config.database.engine === 'postgres') {
      const pool = openPostgresPool(config.database.url, config.database.poolSize);
      // An idle connection the server dropped (a restart, say) must not end the process.
      pool.on('error', (error) => this.logger.warn(`PostgreSQL connection lost: ${error.message}`));
      this.pool = pool;
      this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    } else {
      mkdirSync(config.dataDir, { recursive: true });
      this.sqlite = openSqlite(join(config.dataDir, SQLITE_FILE));
      this.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: this.sqlite }) });
    }
  }

  /**
   * Applies the migrations not applied yet. On PostgreSQL the migrator holds an advisory lock
   * for the whole transaction, so processes that start together apply each migration once.
   */
  async migrate(): Promise<void> {
    for (const name of await migrateToLatest(this.db)) this.logger.log(`Applied migration ${name}`);
  }

  /**
   * A consistent copy of the whole database as one SQLite file, the backups' format on both
   * engines: SQLite's online backup, or PostgreSQL's rows read in one repeatable-read
   * transaction (one snapshot of every table) into a file migrated like the database.
   */
  async snapshotTo(file: string): Promise<void> {
    if (this.sqlite) {
      await this.sqlite.backup(file);
      return;
    }
    const copy = new Kysely<Database>({
      dialect: new SqliteDialect({ database: openSqlite(file) }),
    });
    try {
      await migrateToLatest(copy);
      await this.db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute((snapshot) => copy.transaction().execute((target) => copyRows(snapshot, target)));
    } finally {
      await copy.destroy();
    }
  }

  /**
   * A text column compared and sorted by code point, as SQLite does: PostgreSQL would follow
   * the database's collation, which puts `a/b` after `a.b` and `Zed` after `apple` in en-US.
   */
  inCodePointOrder(column: string): RawBuilder<string> {
    return this.sqlite
      ? sql<string>`${sql.ref(column)}`
      : sql<string>`${sql.ref(column)} COLLATE "C"`;
  }

  /** Resolves when the database answers a query, rejects when it does not within 2 s. */
  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 2 s')), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([sql`SELECT 1`.execute(this.db), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The database's size in bytes, as a copy of it would take on disk. */
  async sizeBytes(): Promise<number> {
    if (this.sqlite) {
      const pages = this.sqlite.pragma('page_count', { simple: true }) as number;
      const pageSize = this.sqlite.pragma('page_size', { simple: true }) as number;
      return pages * pageSize;
    }
    const { rows } = await sql<{
      size: number;
    }>`SELECT pg_database_size(current_database()) AS size`.execute(this.db);
    return rows[0].size;
  }

  /**
   * Runs `hook` just before the connection closes: the last moment anything can be written (the
   * event log's final batch), whatever order Nest ends the other modules in.
   */
  beforeClose(hook: () => void | Promise<void>): void {
    this.closeHooks.push(hook);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const hook of this.closeHooks) {
      try {
        // oxlint-disable-next-line no-await-in-loop -- each last write before the next, in order
        await hook();
      } catch (error) {
        this.logger.error(`A last write before the database closed failed: ${String(error)}`);
      }
    }
    await this.db.destroy();
  }
}
