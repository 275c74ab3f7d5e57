import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type Migration, type MigrationProvider, Migrator, SqliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';

class StaticMigrationProvider implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(MIGRATIONS);
  }
}

/**
 * Owns the SQLite file: opens it, applies migrations, and hands out the query builder.
 * Built by DatabaseModule's factory, which migrates before anyone can inject it.
 */
export class DatabaseService implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);
  /** The raw connection, for what the query builder does not cover (online backups). */
  readonly sqlite: SqliteDatabase.Database;
  readonly db: Kysely<Database>;
  private readonly closeHooks: (() => void)[] = [];

  constructor(config: AppConfig) {
    mkdirSync(config.dataDir, { recursive: true });
    this.sqlite = new SqliteDatabase(join(config.dataDir, 'reelay.db'));
    this.sqlite.pragma('journal_mode = WAL');
    this.sqlite.pragma('foreign_keys = ON');
    this.sqlite.pragma('busy_timeout = 5000');
    this.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: this.sqlite }) });
  }

  /** The database's size in bytes, as a copy of it would take on disk. */
  sizeBytes(): number {
    const pages = this.sqlite.pragma('page_count', { simple: true }) as number;
    const pageSize = this.sqlite.pragma('page_size', { simple: true }) as number;
    return pages * pageSize;
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: new StaticMigrationProvider() });
    const { error, results } = await migrator.migrateToLatest();
    for (const result of results ?? []) {
      if (result.status === 'Success') this.logger.log(`Applied migration ${result.migrationName}`);
    }
    if (error) throw error;
  }

  /**
   * Runs `hook` just before the connection closes: the last moment anything can be written (the
   * event log's final batch), whatever order Nest ends the other modules in.
   */
  beforeClose(hook: () => void): void {
    this.closeHooks.push(hook);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const hook of this.closeHooks) {
      try {
        hook();
      } catch (error) {
        this.logger.error(`A last write before the database closed failed: ${String(error)}`);
      }
    }
    await this.db.destroy();
  }
}
