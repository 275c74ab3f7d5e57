import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../../config/app-config.js';
import { DatabaseService } from '../../database/database.service.js';
import type { StoredEvent } from './event-store.js';
import { SqliteEventStore } from './sqlite-event-store.js';

const event = (id: number): StoredEvent => ({
  id,
  name: 'tags',
  data: JSON.stringify({ Tags: { library: 'l', tags: [], n: id } }),
  readerData: id % 2 === 0 ? JSON.stringify({ Tags: { library: 'l', tags: [] } }) : null,
  library: 'l',
  owner: null,
});

/** What the hub does for each event: reserve its id, then hand it over. */
function publish(store: SqliteEventStore, from: number, to: number): void {
  for (let id = from; id <= to; id++) {
    store.reserveThrough(id);
    store.append(event(id));
  }
}

const flushed = () => new Promise((resolve) => setTimeout(resolve, 60));

describe('SqliteEventStore', () => {
  let dataDir: string;
  const opened: DatabaseService[] = [];

  /** A process's view of DATA_DIR: its own connection to the same file, and a store on it. */
  async function start(historySize = 100) {
    const config = loadAppConfig({ DATA_DIR: dataDir, SSE_HISTORY_SIZE: String(historySize) });
    const database = new DatabaseService(config);
    opened.push(database);
    await database.migrate();
    const store = new SqliteEventStore(database, config);
    return { database, store, restored: await store.open() };
  }

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'reelay-event-store-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.onApplicationShutdown()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts empty, and after a clean stop goes on from the last id with the events kept', async () => {
    const first = await start();
    expect(first.restored).toEqual({ lastId: 0, events: [] });
    publish(first.store, 1, 5);
    await first.database.onApplicationShutdown();

    const second = await start();
    expect(second.restored).toEqual({ lastId: 5, events: [1, 2, 3, 4, 5].map(event) });
  });

  it('keeps the newest SSE_HISTORY_SIZE events only', async () => {
    const first = await start(3);
    publish(first.store, 1, 10);
    await flushed();
    expect(
      first.database.sqlite.prepare('SELECT id FROM event_log ORDER BY id').pluck().all(),
    ).toEqual([8, 9, 10]);
    await first.database.onApplicationShutdown();
    expect((await start(3)).restored).toEqual({ lastId: 10, events: [8, 9, 10].map(event) });
  });

  it('writes in batches after delivery, not while the events go out', async () => {
    const { database, store } = await start();
    const count = () => database.sqlite.prepare('SELECT count(*) FROM event_log').pluck().get();
    publish(store, 1, 3);
    expect(count()).toBe(0);
    await flushed();
    expect(count()).toBe(3);
  });

  it('after a crash, issues no id it may have issued before, and vouches for no event', async () => {
    const crashed = await start();
    publish(crashed.store, 1, 5);
    await flushed();
    // No shutdown: the process is gone with its reservation unused.
    const second = await start();
    expect(second.restored.events).toEqual([]);
    expect(second.restored.lastId).toBeGreaterThanOrEqual(5);
    expect(second.restored.lastId).toBe(1000);

    publish(second.store, 1001, 1002);
    await second.database.onApplicationShutdown();
    expect((await start()).restored).toEqual({ lastId: 1002, events: [1001, 1002].map(event) });
  });

  it('reserves ids a thousand at a time, before they go out', async () => {
    const { database, store } = await start();
    const reserved = () =>
      database.sqlite.prepare('SELECT reserved FROM event_log_state').pluck().get();
    store.reserveThrough(1);
    expect(reserved()).toBe(1000);
    publish(store, 1, 1000);
    expect(reserved()).toBe(1000);
    store.reserveThrough(1001);
    expect(reserved()).toBe(2000);
  });

  it('does not vouch for a log with a batch that could not be written', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const first = await start();
      first.database.sqlite.exec(
        `CREATE TEMP TRIGGER refuse_three BEFORE INSERT ON event_log WHEN NEW.id = 3
         BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
      );
      publish(first.store, 1, 4);
      await flushed();
      publish(first.store, 5, 6);
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
    publish(store, 1, 1);
    await database.onApplicationShutdown();
    expect(() => store.reserveThrough(2)).toThrow(/event log is closed/);
  });
});
