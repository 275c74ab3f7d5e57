import { Logger } from '@nestjs/common';
import type { EventLogTable } from '../../database/schema.js';
import { eventWeight, HistoryBudget, type HistoryLimits } from '../history-budget.js';
import { EventStore, type RestoredLog, type StoredEvent } from './event-store.js';

/** Ids reserved by one write: a crash skips at most this many, and resumes across it resync. */
export const RESERVATION = 1000;
/** How long an event waits to be written with the ones after it. */
const FLUSH_DELAY_MS = 25;
/** A batch this big is written at the next turn of the event loop rather than after the delay. */
const MAX_BATCH = 500;

/** `event_log_state`: ids up to `reserved` may have been issued, those up to `stored` are kept. */
export interface LogState {
  reserved: number;
  stored: number;
}

/**
 * The embedded event log, in the application's database (`event_log` and `event_log_state`),
 * whichever engine holds it; each engine supplies only how to read and write it.
 *
 * Ids are reserved a thousand at a time; events are written in batches a few milliseconds
 * later, each batch with the log trimmed to SSE_HISTORY_SIZE events. A clean stop writes what
 * is left and gives back the unused reservation (`reserved = stored`). A start that finds
 * `reserved > stored` knows events may have gone out that the log never got: it goes on above
 * `reserved` with nothing to replay, so every resume point before it gets `resync`.
 */
export abstract class DatabaseEventStore extends EventStore {
  protected readonly logger = new Logger(this.constructor.name);
  private pending: StoredEvent[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushSoon?: NodeJS.Immediate;
  /** Batches are written one after another, in order. */
  private writing: Promise<void> = Promise.resolve();
  /** The newest id handed to append(); the log is whole up to it once `stored` catches up. */
  private appended = 0;
  private stored = 0;
  private opened = false;
  protected closed = false;

  /** The same decision as the hub's history: which of the newest events the log keeps. */
  private readonly budget: HistoryBudget;

  protected constructor(private readonly limits: HistoryLimits) {
    super();
    this.budget = new HistoryBudget(limits);
  }

  protected abstract readState(): Promise<LogState>;
  /** The newest `limit` rows with ids up to `newest`, newest first. */
  protected abstract readNewest(newest: number, limit: number): Promise<EventLogTable[]>;
  /** After a crash: empties the log, which cannot vouch for its events, and sets `stored = reserved`. */
  protected abstract restartAfter(reserved: number): Promise<void>;
  /** In one transaction: inserts `rows`, deletes ids up to `trimThrough`, sets `stored`. */
  protected abstract writeBatch(
    rows: EventLogTable[],
    trimThrough: number,
    stored: number,
  ): void | Promise<void>;
  /** Gives back the unused reservation: `reserved = stored = newest`. */
  protected abstract seal(newest: number): void | Promise<void>;

  async open(): Promise<RestoredLog> {
    const state = await this.readState();
    let events: StoredEvent[] = [];
    if (state.reserved === state.stored) {
      events = await this.newestRun(state.stored);
    } else {
      this.logger.warn(
        `The previous process stopped without closing the event log: ids go on after ` +
          `${state.reserved}, and clients resuming from before it get resync`,
      );
      await this.restartAfter(state.reserved);
    }
    this.appended = this.stored = state.reserved;
    this.opened = true;
    await this.opening(state.reserved);
    return { lastId: state.reserved, events };
  }

  /** What an engine does once the log is read, before any id is issued. */
  protected abstract opening(lastId: number): Promise<void>;

  append(event: StoredEvent, weight: number): void {
    this.budget.add(weight);
    this.pending.push(event);
    this.appended = event.id;
    if (this.pending.length >= MAX_BATCH) {
      this.flushSoon ??= setImmediate(() => void this.flush());
    } else {
      this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
    }
  }

  protected assertOpen(): void {
    if (this.closed) throw new Error('the event log is closed: the database has shut down');
    if (!this.opened) throw new Error('the event log has not been opened');
  }

  /**
   * Writes the pending batch in one transaction. A batch that fails is dropped with an error in
   * the log: `stored` stays behind, so the ids it held are never vouched for and resumes across
   * them resync rather than miss them silently.
   */
  private flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    if (this.flushSoon) clearImmediate(this.flushSoon);
    this.flushTimer = this.flushSoon = undefined;
    const batch = this.pending;
    if (batch.length === 0) return this.writing;
    this.pending = [];
    const first = batch[0].id;
    const newest = batch[batch.length - 1].id;
    // Ids run without a gap: the log keeps the last `kept` of them.
    const trimThrough = this.appended - this.budget.kept;
    const rows = batch.filter((event) => event.id > trimThrough).map(toRow);
    this.writing = this.writing.then(() => this.write(rows, trimThrough, first, newest));
    return this.writing;
  }

  private async write(
    rows: EventLogTable[],
    trimThrough: number,
    first: number,
    newest: number,
  ): Promise<void> {
    try {
      await this.writeBatch(rows, trimThrough, newest);
      if (first === this.stored + 1) this.stored = newest;
    } catch (error) {
      this.logger.error(
        `Events ${first}-${newest} could not be written to the event log; clients ` +
          `resuming across them will get resync: ${String(error)}`,
      );
    }
  }

  /** Writes what is pending and gives back the unused reservation, if the log is whole. */
  protected async close(): Promise<void> {
    if (this.closed || !this.opened) return;
    await this.flush();
    this.closed = true;
    if (this.stored === this.appended) await this.seal(this.stored);
  }

  /**
   * The newest stored events whose ids run without a gap up to `newest`, oldest first, as the
   * history's limits keep them (the budget counts them, as it will count the events to come).
   */
  private async newestRun(newest: number): Promise<StoredEvent[]> {
    if (this.limits.maxEvents === 0) return [];
    const rows = await this.readNewest(newest, this.limits.maxEvents);
    const run: StoredEvent[] = [];
    for (const row of rows) {
      if (row.id !== newest - run.length) break;
      run.push(fromRow(row));
    }
    for (const event of run.toReversed())
      this.budget.add(eventWeight(event.data, event.readerData));
    return run.slice(0, this.budget.kept).toReversed();
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
    name: row.name,
    data: row.data,
    readerData: row.reader_data,
    library: row.library,
    owner: row.owner,
  };
}
