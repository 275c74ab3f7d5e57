import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { PoolClient } from 'pg';
import { ConfigError } from '../../config/app-config.js';
import { EVENTS_OPTIONS, type EventsModuleOptions } from '../events.options.js';
import { DatabaseService } from '../../database/database.service.js';
import type { Database, EventLogTable } from '../../database/schema.js';
import { DatabaseEventStore, type LogState, RESERVATION } from './database-event-store.js';

/** The advisory lock a process numbering its own events holds on the database ("reelay"). */
const EVENT_LOG_LOCK = 0x7265656c6179;
/** How long to wait before taking the lock again after losing it. */
const RELOCK_DELAY_MS = 1000;
/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters in one statement. */
const INSERT_ROWS = 1000;

/**
 * The embedded event log on PostgreSQL, for one process on the embedded bus (several processes
 * share events through the Redis bus). Reservations are written ahead: the next thousand ids are
 * reserved while half of the current ones are still unused, so an event waits for the database
 * only in a burst that outruns a round trip.
 *
 * The process holds an advisory lock on the database for as long as it numbers events: a second
 * one on the embedded bus would issue the same ids, and stops at start instead.
 */
@Injectable()
export class PostgresEventStore extends DatabaseEventStore {
  private readonly db: Kysely<Database>;
  private lockHolder?: PoolClient;
  private reserved = 0;
  private reserving?: Promise<void>;

  constructor(
    private readonly database: DatabaseService,
    @Inject(EVENTS_OPTIONS) config: EventsModuleOptions,
  ) {
    super({ maxEvents: config.sse.historySize, maxBytes: config.sse.historyBytes });
    this.db = database.db;
    database.beforeClose(() => this.closeAndUnlock());
  }

  protected async readState(): Promise<LogState> {
    return this.db
      .selectFrom('event_log_state')
      .select(['reserved', 'stored'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
  }

  protected readNewest(newest: number, limit: number): Promise<EventLogTable[]> {
    return this.db
      .selectFrom('event_log')
      .selectAll()
      .where('id', '<=', newest)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  protected async restartAfter(reserved: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('event_log').where('id', '<=', reserved).execute();
      await trx
        .updateTable('event_log_state')
        .set({ reserved, stored: reserved })
        .where('id', '=', 1)
        .execute();
    });
  }

  protected async opening(lastId: number): Promise<void> {
    await this.lock();
    this.reserved = lastId;
    await this.reserveAhead();
  }

  reserveThrough(id: number): Promise<void> | undefined {
    this.assertOpen();
    if (id > this.reserved) return this.reserveAhead();
    if (this.reserved - id < RESERVATION / 2) {
      this.reserveAhead().catch((error: unknown) =>
        this.logger.warn(`Could not reserve event ids ahead: ${String(error)}`),
      );
    }
    return undefined;
  }

  /** Reserves the thousand ids after the current reservation, once at a time. */
  private reserveAhead(): Promise<void> {
    this.reserving ??= this.raiseReservation(this.reserved + RESERVATION).finally(() => {
      this.reserving = undefined;
    });
    return this.reserving;
  }

  private async raiseReservation(ceiling: number): Promise<void> {
    await this.db
      .updateTable('event_log_state')
      .set({ reserved: ceiling })
      .where('id', '=', 1)
      .execute();
    this.reserved = ceiling;
  }

  protected async writeBatch(
    rows: EventLogTable[],
    trimThrough: number,
    stored: number,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < rows.length; start += INSERT_ROWS) {
        // oxlint-disable-next-line no-await-in-loop -- one connection: statements run in turn
        await trx
          .insertInto('event_log')
          .values(rows.slice(start, start + INSERT_ROWS))
          .execute();
      }
      await trx.deleteFrom('event_log').where('id', '<=', trimThrough).execute();
      await trx.updateTable('event_log_state').set({ stored }).where('id', '=', 1).execute();
    });
  }

  protected async seal(newest: number): Promise<void> {
    await this.db
      .updateTable('event_log_state')
      .set({ reserved: newest, stored: newest })
      .where('id', '=', 1)
      .execute();
  }

  private async lock(): Promise<void> {
    const pool = this.database.pool;
    if (!pool) throw new Error('the PostgreSQL event log needs the PostgreSQL database');
    const client = await pool.connect();
    let locked = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [EVENT_LOG_LOCK],
      );
      locked = rows[0].locked;
    } finally {
      if (!locked) client.release(true);
    }
    if (!locked) {
      throw new ConfigError(
        'Another Reelay process on the embedded event bus uses this database: processes that ' +
          'share a database must share events too (EVENT_BUS=redis)',
      );
    }
    // The server restarting ends the session and its lock: take it again once it is back.
    client.on('error', (error) => this.relock(client, error));
    this.lockHolder = client;
  }

  private relock(lost: PoolClient, error: Error): void {
    if (this.lockHolder !== lost) return;
    this.lockHolder = undefined;
    lost.release(true);
    if (this.closed) return;
    this.logger.warn(
      `Lost the event log's lock on the database (${error.message}); taking it again`,
    );
    const retry = async (): Promise<void> => {
      if (this.closed) return;
      try {
        await this.lock();
      } catch (failure) {
        this.logger.error(`Could not take the event log's lock again: ${String(failure)}`);
        setTimeout(() => void retry(), RELOCK_DELAY_MS).unref();
      }
    };
    setTimeout(() => void retry(), RELOCK_DELAY_MS).unref();
  }

  private async closeAndUnlock(): Promise<void> {
    try {
      await this.close();
    } finally {
      // Destroyed rather than returned to the pool: the lock goes with its session.
      this.lockHolder?.release(true);
      this.lockHolder = undefined;
    }
  }
}
