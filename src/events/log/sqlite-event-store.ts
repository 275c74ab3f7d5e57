import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.provider.js';
import { DatabaseService } from '../../database/database.service.js';
import type { EventLogTable } from '../../database/schema.js';
import type { EventName } from '../events.types.js';
import { EventStore, type RestoredLog, type StoredEvent } from './event-store.js';

/** Ids reserved by one write: a crash skips at most this many, and resumes across it resync. */
const RESERVATION = 1000;
/** How long an event waits to be written with the ones after it. */
const FLUSH_DELAY_MS = 25;
/** A batch this big is written at the next turn of the event loop rather than after the delay. */
const MAX_BATCH = 500;

interface LogState {
  reserved: number;
  stored: number;
}

/**
 * The embedded event log, in the application's SQLite database. Statements run synchronously
 * on better-sqlite3's connection (not through the query builder) because a reservation must be
 * on disk before the id it covers goes out.
 *
 * Ids are reserved a thousand at a time; events are written in batches a few milliseconds
 * later, each batch with the log trimmed to SSE_HISTORY_SIZE events. A clean stop writes what
 * is left and gives back the unused reservation (`reserved = stored`). A start that finds
 * `reserved > stored` knows events may have gone out that the log never got: it goes on above
 * `reserved` with nothing to replay, so every resume point before it gets `resync`.
 */
@Injectable()
export class SqliteEventStore extends EventStore {
  private readonly logger = new Logger(SqliteEventStore.name);
  private readonly historySize: number;
  private pending: StoredEvent[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushSoon?: NodeJS.Immediate;
  private reserved = 0;
  /** The newest id handed to append(); the log is whole up to it once `stored` catches up. */
  private appended = 0;
  private stored = 0;
  private closed = false;
  private statements?: {
    reserve: Statement<[number]>;
    insert: Statement<[EventLogTable]>;
    trim: Statement<[number]>;
    store: Statement<[number]>;
    seal: Statement<[number, number]>;
  };

  constructor(
    private readonly database: DatabaseService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super();
    this.historySize = config.sse.historySize;
    database.beforeClose(() => this.close());
  }

  open(): Promise<RestoredLog> {
    const { sqlite } = this.database;
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
    const state = sqlite
      .prepare('SELECT reserved, stored FROM event_log_state WHERE id = 1')
      .get() as LogState;
    let events: StoredEvent[] = [];
    if (state.reserved === state.stored) {
      events = this.newestRun(state.stored);
    } else {
      this.logger.warn(
        `The previous process stopped without closing the event log: ids go on after ` +
          `${state.reserved}, and clients resuming from before it get resync`,
      );
      sqlite.transaction(() => {
        this.statements?.trim.run(state.reserved);
        this.statements?.seal.run(state.reserved, state.reserved);
      })();
    }
    this.reserved = this.appended = this.stored = state.reserved;
    return Promise.resolve({ lastId: state.reserved, events });
  }

  reserveThrough(id: number): void {
    if (this.closed) throw new Error('the event log is closed: the database has shut down');
    if (id <= this.reserved) return;
    const reserved = id - 1 + RESERVATION;
    this.statementsOrThrow().reserve.run(reserved);
    this.reserved = reserved;
  }

  append(event: StoredEvent): void {
    this.pending.push(event);
    this.appended = event.id;
    if (this.pending.length >= MAX_BATCH) {
      this.flushSoon ??= setImmediate(() => this.flush());
    } else {
      this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
    }
  }

  /**
   * Writes the pending batch in one transaction. A batch that fails is dropped with an error in
   * the log: `stored` stays behind, so the ids it held are never vouched for and resumes across
   * them resync rather than miss them silently.
   */
  private flush(): void {
    clearTimeout(this.flushTimer);
    if (this.flushSoon) clearImmediate(this.flushSoon);
    this.flushTimer = this.flushSoon = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const newest = batch[batch.length - 1].id;
    const statements = this.statementsOrThrow();
    try {
      this.database.sqlite.transaction(() => {
        if (this.historySize > 0) {
          for (const event of batch) statements.insert.run(toRow(event));
        }
        statements.trim.run(newest - this.historySize);
        statements.store.run(newest);
      })();
      if (batch[0].id === this.stored + 1) this.stored = newest;
    } catch (error) {
      this.logger.error(
        `Events ${batch[0].id}-${newest} could not be written to the event log; clients ` +
          `resuming across them will get resync: ${String(error)}`,
      );
    }
  }

  /** Writes what is pending and gives back the unused reservation, if the log is whole. */
  private close(): void {
    if (this.closed || !this.statements) return;
    this.flush();
    this.closed = true;
    if (this.stored === this.appended) this.statements.seal.run(this.stored, this.stored);
  }

  /** The newest stored events whose ids run without a gap up to `newest`, oldest first. */
  private newestRun(newest: number): StoredEvent[] {
    if (this.historySize === 0) return [];
    const rows = this.database.sqlite
      .prepare('SELECT * FROM event_log WHERE id <= ? ORDER BY id DESC LIMIT ?')
      .all(newest, this.historySize) as EventLogTable[];
    const run: StoredEvent[] = [];
    for (const row of rows) {
      if (row.id !== newest - run.length) break;
      run.push(fromRow(row));
    }
    return run.toReversed();
  }

  private statementsOrThrow(): NonNullable<SqliteEventStore['statements']> {
    if (!this.statements) throw new Error('the event log has not been opened');
    return this.statements;
  }
}

function toRow(event: StoredEvent): EventLogTable {
  return {
    id: event.id,
    name: event.name,
    data: event.data,
    reader_data: event.readerData,
    library: event.library,
    owner: event.owner,
  };
}

function fromRow(row: EventLogTable): StoredEvent {
  return {
    id: row.id,
    name: row.name as EventName,
    data: row.data,
    readerData: row.reader_data,
    library: row.library,
    owner: row.owner,
  };
}
