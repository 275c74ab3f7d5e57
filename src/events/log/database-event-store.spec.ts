import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import { eventsOptionsOf, loadAppConfig } from '../../config/app-config.js';
import { DatabaseService } from '../../database/database.service.js';
import { eventWeight } from '../history-budget.js';
import type { DatabaseEventStore } from './database-event-store.js';
import type { StoredEvent } from './event-store.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { SqliteEventStore } from './sqlite-event-store.js';

const event = (id: number): StoredEvent => ({
  id,
  name: 'tags',
  data: JSON.stringify({ Tags: { library: 'l', tags: [], n: id } }),
  readerData: id % 2 === 0 ? JSON.stringify({ Tags: { library: 'l', tags: [] } }) : null,
  library: 'l',
  owner: null,
});

/** What the embedded bus does for each event: reserve its id (waiting if it must), then hand it over. */
async function publish(store: DatabaseEventStore, from: number, to: number): Promise<void> {
  for (let id = from; id <= to; id++) {
    // oxlint-disable-next-line no-await-in-loop -- the bus holds an event until its id is reserved
    await store.reserveThrough(id);
    const stored = event(id);
    store.append(stored, eventWeight(stored.data, stored.readerData));
  }
}

async function ids(database: DatabaseService): Promise<number[]> {
  const rows = await database.db.selectFrom('event_log').select('id').orderBy('id').execute();
  return rows.map((row) => row.id);
}

async function reserved(database: DatabaseService): Promise<number> {
  const row = await database.db
    .selectFrom('event_log_state')
    .select('reserved')
    .executeTakeFirstOrThrow();
  return row.reserved;
}

const flushed = () => new Promise((resolve) => setTimeout(resolve, 100));

/** SSE_HISTORY_SIZE and, if given, SSE_HISTORY_BYTES. */
type HistoryEnv = Record<string, string>;

interface Engine {
  name: 'sqlite' | 'postgres';
  /** What a process of this engine would be given: its environment. */
  environment(dataDir: string): Promise<Record<string, string>>;
  createStore(database: DatabaseService, history: HistoryEnv): DatabaseEventStore;
  /** Makes every insert of event 3 fail, as a full disk would. */
  refuseEventThree(database: DatabaseService): Promise<void>;
  /** Ends the process's hold on the database without its shutdown: a crash. */
  crash(database: DatabaseService): Promise<void>;
  drop(): Promise<void>;
}

const sqliteEngine = (): Engine => ({
  name: 'sqlite',
  environment: (dataDir) => Promise.resolve({ DATA_DIR: dataDir }),
  createStore: (database, history) =>
    new SqliteEventStore(database, eventsOptionsOf(loadAppConfig(history))),
  refuseEventThree: async (database) => {
    await sql`CREATE TEMP TRIGGER refuse_three BEFORE INSERT ON event_log WHEN NEW.id = 3
              BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`.execute(database.db);
  },
  // A process gone is a connection that never closes the log: nothing to do.
  crash: () => Promise.resolve(),
  drop: () => Promise.resolve(),
});

function postgresEngine(): Engine {
  let database: TestDatabase | undefined;
  return {
    name: 'postgres',
    environment: async (dataDir) => {
      database ??= await createTestDatabase();
      return { DATA_DIR: dataDir, DATABASE_URL: database.url };
    },
    createStore: (service, history) =>
      new PostgresEventStore(service, eventsOptionsOf(loadAppConfig(history))),
    refuseEventThree: async (service) => {
      await sql`CREATE FUNCTION refuse_three() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'disk trouble'; END $$`.execute(service.db);
      await sql`CREATE TRIGGER refuse_three BEFORE INSERT ON event_log FOR EACH ROW
                WHEN (NEW.id = 3) EXECUTE FUNCTION refuse_three()`.execute(service.db);
    },
    // The server ends the process's sessions, as it does when the process dies.
    crash: async (service) => {
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(service.db);
    },
    drop: async () => {
      await database?.drop();
      database = undefined;
    },
  };
}

describe.each([sqliteEngine(), postgresEngine()])('the event log on $name', (engine) => {
  let dataDir: string;
  const opened: DatabaseService[] = [];
  let warnings: ReturnType<typeof jest.spyOn>;

  /** A process's view of the database: its own connection to it, and a store on it. */
  async function start(historySize = 100, historyBytes?: number) {
    const database = new DatabaseService(loadAppConfig(await engine.environment(dataDir)));
    opened.push(database);
    await database.migrate();
    const store = engine.createStore(database, {
      SSE_HISTORY_SIZE: String(historySize),
      ...(historyBytes === undefined ? {} : { SSE_HISTORY_BYTES: String(historyBytes) }),
    });
    return { database, store, restored: await store.open() };
  }

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'reelay-event-store-'));
    // A crash on PostgreSQL makes the pool report its lost connections.
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.onApplicationShutdown()));
    await engine.drop();
    rmSync(dataDir, { recursive: true, force: true });
    warnings.mockRestore();
  });

  it('starts empty, and after a clean stop goes on from the last id with the events kept', async () => {
    const first = await start();
    expect(first.restored).toEqual({ lastId: 0, events: [] });
    await publish(first.store, 1, 5);
    await first.database.onApplicationShutdown();

    const second = await start();
    expect(second.restored).toEqual({ lastId: 5, events: [1, 2, 3, 4, 5].map(event) });
  });

  it('keeps the newest SSE_HISTORY_SIZE events only', async () => {
    const first = await start(3);
    await publish(first.store, 1, 10);
    await flushed();
    expect(await ids(first.database)).toEqual([8, 9, 10]);
    await first.database.onApplicationShutdown();
    expect((await start(3)).restored).toEqual({ lastId: 10, events: [8, 9, 10].map(event) });
  });

  it('keeps no more bytes of messages than SSE_HISTORY_BYTES, as the hub does', async () => {
    const weight = eventWeight(event(1).data, event(1).readerData);
    // Odd events weigh `weight`, even ones more (they carry a reader's view): room for 3 or so.
    const budget = 3 * weight + 10;
    const first = await start(100, budget);
    await publish(first.store, 1, 10);
    await flushed();
    const kept = await ids(first.database);
    const weights = kept.map((id) => eventWeight(event(id).data, event(id).readerData));
    expect(kept.at(-1)).toBe(10);
    expect(weights.reduce((sum, each) => sum + each, 0)).toBeLessThanOrEqual(budget);
    const withOneMore = kept[0] - 1;
    expect(
      weights.reduce((sum, each) => sum + each, 0) +
        eventWeight(event(withOneMore).data, event(withOneMore).readerData),
    ).toBeGreaterThan(budget);
    await first.database.onApplicationShutdown();
    expect((await start(100, budget)).restored).toEqual({ lastId: 10, events: kept.map(event) });
  });

  it('writes in batches after delivery, not while the events go out', async () => {
    const { database, store } = await start();
    await publish(store, 1, 3);
    expect(await ids(database)).toEqual([]);
    await flushed();
    expect(await ids(database)).toEqual([1, 2, 3]);
  });

  it('after a crash, issues no id it may have issued before, and vouches for no event', async () => {
    const crashed = await start();
    await publish(crashed.store, 1, 5);
    await flushed();
    await engine.crash(crashed.database);
    const second = await start();
    expect(second.restored.events).toEqual([]);
    expect(second.restored.lastId).toBe(1000);

    await publish(second.store, 1001, 1002);
    await second.database.onApplicationShutdown();
    expect((await start()).restored).toEqual({ lastId: 1002, events: [1001, 1002].map(event) });
  });

  it('does not vouch for a log with a batch that could not be written', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const first = await start();
      await engine.refuseEventThree(first.database);
      await publish(first.store, 1, 4);
      await flushed();
      await publish(first.store, 5, 6);
      await flushed();
      expect(errors).toHaveBeenCalledWith(
        expect.stringMatching(/^Events 1-4 could not be written/),
      );
      await first.database.onApplicationShutdown();

      const second = await start();
      expect(second.restored.events).toEqual([]);
      expect(second.restored.lastId).toBe(1000);
    } finally {
      errors.mockRestore();
    }
  });

  it('refuses to reserve once the database has closed', async () => {
    const { database, store } = await start();
    await publish(store, 1, 1);
    await database.onApplicationShutdown();
    expect(() => store.reserveThrough(2)).toThrow(/event log is closed/);
  });

  if (engine.name === 'sqlite') {
    it('reserves ids a thousand at a time, before they go out, without waiting', async () => {
      const { database, store } = await start();
      expect(store.reserveThrough(1)).toBeUndefined();
      expect(await reserved(database)).toBe(1000);
      await publish(store, 1, 1000);
      expect(await reserved(database)).toBe(1000);
      expect(store.reserveThrough(1001)).toBeUndefined();
      expect(await reserved(database)).toBe(2000);
    });
  } else {
    it('reserves the next thousand ids while half of the current ones are left', async () => {
      const { database, store } = await start();
      expect(await reserved(database)).toBe(1000);
      expect(store.reserveThrough(1)).toBeUndefined();
      await publish(store, 1, 499);
      expect(await reserved(database)).toBe(1000);
      expect(store.reserveThrough(501)).toBeUndefined();
      await flushed();
      expect(await reserved(database)).toBe(2000);
      // An id beyond what is reserved waits for the database.
      const waiting = store.reserveThrough(2001);
      expect(waiting).toBeInstanceOf(Promise);
      await waiting;
      expect(await reserved(database)).toBe(3000);
    });

    it('lets one process at a time number events on a database', async () => {
      const first = await start();
      await expect(start()).rejects.toThrow(
        /Another Reelay process on the embedded event bus uses this database/,
      );
      await first.database.onApplicationShutdown();
      expect((await start()).restored.lastId).toBe(0);
    });
  }
});
