import { Inject, Injectable } from '@nestjs/common';
import type { Database, Statement } from 'better-sqlite3';
import { EVENTS_OPTIONS, type EventsModuleOptions } from '../events.options.js';
import { DatabaseService } from '../../database/database.service.js';
import type { EventLogTable } from '../../database/schema.js';
import { DatabaseEventStore, type LogState, RESERVATION } from './database-event-store.js';

/**
 * The embedded event log on SQLite. Statements run synchronously on better-sqlite3's connection
 * (not through the query builder), so a reservation is on disk before the id it covers goes
 * out, without holding any event back.
 */
@Injectable()
export class SqliteEventStore extends DatabaseEventStore {
  private readonly sqlite: Database;
  private readonly statements: {
    reserve: Statement<[number]>;
    insert: Statement<[EventLogTable]>;
    trim: Statement<[number]>;
    store: Statement<[number]>;
    seal: Statement<[number, number]>;
  };
  private reserved = 0;

  constructor(database: DatabaseService, @Inject(EVENTS_OPTIONS) config: EventsModuleOptions) {
    super({ maxEvents: config.sse.historySize, maxBytes: config.sse.historyBytes });
    if (!database.sqlite) throw new Error('the SQLite event log needs the SQLite database');
    const sqlite = database.sqlite;
    this.sqlite = sqlite;
    this.statements = {
      reserve: sqlite.prepare('UPDATE event_log_state SET reserved = ? WHERE id = 1'),
      insert: sqlite.prepare(
        `INSERT INTO event_log (id, name, data, reader_data, library, owner)
         VALUES (@id, @name, @data, @reader_data, @library, @owner)`,
      ),
      trim: sqlite.prepare('DELETE FROM event_log WHERE id <= ?'),
      store: sqlite.prepare('UPDATE event_log_state SET stored = ? WHERE id = 1'),
      seal: sqlite.prepare('UPDATE event_log_state SET reserved = ?, stored = ? WHERE id = 1'),
    };
    database.beforeClose(() => this.close());
  }

  protected readState(): Promise<LogState> {
    return Promise.resolve(
      this.sqlite
        .prepare('SELECT reserved, stored FROM event_log_state WHERE id = 1')
        .get() as LogState,
    );
  }

  protected readNewest(newest: number, limit: number): Promise<EventLogTable[]> {
    return Promise.resolve(
      this.sqlite
        .prepare('SELECT * FROM event_log WHERE id <= ? ORDER BY id DESC LIMIT ?')
        .all(newest, limit) as EventLogTable[],
    );
  }

  protected restartAfter(reserved: number): Promise<void> {
    this.sqlite.transaction(() => {
      this.statements.trim.run(reserved);
      this.statements.seal.run(reserved, reserved);
    })();
    return Promise.resolve();
  }

  protected opening(lastId: number): Promise<void> {
    this.reserved = lastId;
    return Promise.resolve();
  }

  reserveThrough(id: number): undefined {
    this.assertOpen();
    if (id <= this.reserved) return undefined;
    const reserved = id - 1 + RESERVATION;
    this.statements.reserve.run(reserved);
    this.reserved = reserved;
    return undefined;
  }

  protected writeBatch(rows: EventLogTable[], trimThrough: number, stored: number): void {
    this.sqlite.transaction(() => {
      for (const row of rows) this.statements.insert.run(row);
      this.statements.trim.run(trimThrough);
      this.statements.store.run(stored);
    })();
  }

  protected seal(newest: number): void {
    this.statements.seal.run(newest, newest);
  }
}
