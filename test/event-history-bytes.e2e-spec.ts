import { Redis } from 'ioredis';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { eventWeight } from '../src/events/history-budget.js';
import { DatabaseService } from '../src/database/database.service.js';
import { uniquePrefix } from './support/redis-server.js';
import { SseFrameClient } from './support/sse-frame-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

/** Room for about 30 of the events below, whatever SSE_HISTORY_SIZE allows. */
const HISTORY_BYTES = 64 * 1024;
const TAG_NAME_LENGTH = 2000;

/** The events the server skipped for this client, as its `lagged` notices count them. */
function skippedBy(client: SseFrameClient): number {
  return client.frames
    .filter((frame) => frame.event === 'lagged')
    .reduce(
      (sum, frame) =>
        sum + (JSON.parse(frame.data ?? '') as { Lagged: { skipped: number } }).Lagged.skipped,
      0,
    );
}

/** Publishes `count` tag events of about 2 KB each; returns the ids they got. */
async function publishLarge(t: TestApp, library: string, count: number): Promise<number[]> {
  const watcher = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token);
  const publisher = t.app.get(EventsPublisher);
  for (let index = 0; index < count; index++) {
    const tag = {
      id: `tag-${index}`,
      library,
      name: 'x'.repeat(TAG_NAME_LENGTH),
      added: 1,
      updated: 1,
    };
    publisher.tags(library, [{ action: 'Added', tag }]);
  }
  // Each event arrives, or is counted in a `lagged` notice when the watcher falls behind (as it
  // may on a busy machine): then all have been published and numbered.
  await watcher.waitUntil((client) => client.events.length + skippedBy(client) >= count, 45_000);
  watcher.close();
  return watcher.ids;
}

/** What a resume from `lastEventId` gets first: `resync`, or the id of the first event. */
async function resumeFrom(t: TestApp, lastEventId: number): Promise<string | number> {
  const client = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token, {
    headers: { 'Last-Event-ID': String(lastEventId) },
  });
  try {
    await client.waitUntil((c) => c.frames.some((frame) => frame.event !== undefined));
    const first = client.frames.find((frame) => frame.event !== undefined);
    return first?.event === 'resync' ? 'resync' : Number(first?.id);
  } finally {
    client.close();
  }
}

describe('SSE_HISTORY_BYTES: the resume history is bounded by bytes too', () => {
  it('keeps, in memory and in the event log, only the newest events that fit; older resumes get resync', async () => {
    const t = await createTestApp({ SSE_HISTORY_BYTES: String(HISTORY_BYTES) });
    try {
      const library = await t.createLibrary();
      const ids = await publishLarge(t, library, 200);
      const last = ids.at(-1) as number;

      expect(await resumeFrom(t, last - 10)).toBe(last - 9);
      expect(await resumeFrom(t, ids[0])).toBe('resync');

      // The log's batch is written a moment after delivery.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const rows = await t.app
        .get(DatabaseService)
        .db.selectFrom('event_log')
        .select(['id', 'data', 'reader_data'])
        .orderBy('id')
        .execute();
      const bytes = rows.reduce((sum, row) => sum + eventWeight(row.data, row.reader_data), 0);
      expect(bytes).toBeLessThanOrEqual(HISTORY_BYTES);
      expect(rows.length).toBeGreaterThan(10);
      expect(rows.at(-1)?.id).toBe(last);
    } finally {
      await t.close();
    }
  }, 30_000);

  it('on the Redis bus, trims the stream to what the histories keep (MAXLEN bounds the count only)', async () => {
    const prefix = uniquePrefix();
    const t = await createTestApp({
      EVENT_BUS: 'redis',
      REDIS_PREFIX: prefix,
      SSE_HISTORY_BYTES: String(HISTORY_BYTES),
    });
    const redis = new Redis();
    try {
      const library = await t.createLibrary();
      const ids = await publishLarge(t, library, 2500);
      expect(await resumeFrom(t, ids[0])).toBe('resync');
      // Trimmed every thousand ids, to whole nodes of the stream (`~`): far below 2,500.
      expect(await redis.xlen(`${prefix}:events`)).toBeLessThan(1700);
    } finally {
      await t.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  }, 60_000);
});
