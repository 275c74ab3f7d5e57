import { rmSync } from 'node:fs';
import { EventHub } from '../src/events/event-hub.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { EVENT_NAMES } from './support/event-samples.js';
import { RecordingEventSource } from './support/sse-client.js';
import { type SseFrame, SseFrameClient } from './support/sse-frame-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

interface SseStats {
  connections: number;
  queuedBytes: number;
  queuedEvents: number;
}

async function sseStats(t: TestApp): Promise<SseStats> {
  const response = await t
    .http()
    .get('/events/stats')
    .set('Authorization', `Bearer ${t.admin.token}`)
    .expect(200);
  return (response.body as { sse: SseStats }).sse;
}

/**
 * What a stream says about ids: every gap between two events is announced, just before the
 * event after it, by a `lagged` frame that counts exactly the events skipped.
 */
function gapProblems(frames: SseFrame[], firstId: number): { problems: string[]; skipped: number } {
  const problems: string[] = [];
  let expected = firstId;
  let announced = 0;
  let skipped = 0;
  for (const frame of frames) {
    if (frame.event === 'lagged') {
      const count = (JSON.parse(frame.data ?? '') as { Lagged: { skipped: number } }).Lagged
        .skipped;
      if (frame.id !== undefined || announced > 0 || !(count > 0)) problems.push(frame.text);
      announced = count;
      skipped += count;
    } else if (frame.id !== undefined) {
      const id = Number(frame.id);
      if (id !== expected + announced) problems.push(`${id} after ${expected - 1}+${announced}`);
      expected = id + 1;
      announced = 0;
    }
  }
  return { problems, skipped };
}

describe('GET /sse: a client that stops reading', () => {
  const MAX_EVENTS = 16;
  const MAX_BYTES = 512 * 1024;
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      SSE_MAX_QUEUE_EVENTS: String(MAX_EVENTS),
      SSE_MAX_QUEUE_BYTES: String(MAX_BYTES),
    });
  });
  afterAll(() => t.close());

  it('costs a bounded queue, then gets `lagged` and the newest events; others miss nothing', async () => {
    const publisher = t.app.get(EventsPublisher);
    const hub = t.app.get(EventHub);
    const library = await t.createLibrary();
    const stalled = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token, {
      highWaterMark: 1024,
    });
    const healthy = new RecordingEventSource(`${t.baseUrl}/sse?token=${t.admin.token}`, [
      ...EVENT_NAMES,
      'lagged',
    ]);
    await healthy.opened();
    stalled.pause();
    const firstId = hub.lastEventId + 1;
    const name = 'n'.repeat(16 * 1024);
    let published = 0;
    let batchesSinceBackedUp = -1;
    const seen: SseStats[] = [];
    // Batches until the stalled client's kernel buffers are full and its queue has overflowed.
    while (batchesSinceBackedUp < 4 && published < 8000) {
      // Half a queue per turn: a client that reads keeps up, whatever the other one does.
      for (let index = 0; index < MAX_EVENTS / 2; index++) {
        publisher.tags(library, [
          { action: 'Added', tag: { id: `${published++}`, library, name } },
        ]);
      }
      // oxlint-disable-next-line no-await-in-loop -- the healthy client keeps up, batch by batch
      await healthy.waitFor(published, 10_000);
      // oxlint-disable-next-line no-await-in-loop -- the stats after each batch
      const stats = await sseStats(t);
      seen.push(stats);
      if (stats.queuedEvents > 0 || batchesSinceBackedUp >= 0) batchesSinceBackedUp++;
    }
    expect(batchesSinceBackedUp).toBe(4);
    for (const stats of seen) {
      expect(stats.connections).toBe(2);
      expect(stats.queuedEvents).toBeLessThanOrEqual(MAX_EVENTS);
      expect(stats.queuedBytes).toBeLessThanOrEqual(MAX_BYTES);
    }
    const lastId = hub.lastEventId;

    stalled.resume();
    await stalled.waitForId(lastId, 15_000);
    const { problems, skipped } = gapProblems(stalled.frames, firstId);
    expect(problems).toEqual([]);
    expect(skipped).toBeGreaterThan(0);
    const lagged = stalled.frames.filter((frame) => frame.event === 'lagged');
    expect(lagged.map((frame) => frame.text)).toEqual([
      `event: lagged\ndata: {"Lagged":{"skipped":${skipped}}}`,
    ]);
    const afterLag = stalled.frames.slice(stalled.frames.indexOf(lagged[0]) + 1);
    expect(afterLag.length).toBeGreaterThan(0);
    expect(afterLag.length).toBeLessThanOrEqual(MAX_EVENTS);
    expect(afterLag.at(-1)?.id).toBe(String(lastId));

    // Still connected, and up to date from here on.
    publisher.tags(library, []);
    await stalled.waitForId(lastId + 1);
    expect(stalled.frames.at(-1)?.id).toBe(String(lastId + 1));

    await healthy.waitFor(published + 1);
    expect(healthy.events.map((event) => event.type).filter((type) => type !== 'tags')).toEqual([]);
    expect(healthy.events.map((event) => Number(event.id))).toEqual(
      Array.from({ length: published + 1 }, (_, index) => firstId + index),
    );
    stalled.close();
    healthy.close();
  });
});

describe('GET /sse: resume', () => {
  const HISTORY = 50;
  let t: TestApp;
  let publisher: EventsPublisher;
  let hub: EventHub;

  beforeAll(async () => {
    t = await createTestApp({ SSE_HISTORY_SIZE: String(HISTORY), SSE_RETRY_MS: '20' });
    publisher = t.app.get(EventsPublisher);
    hub = t.app.get(EventHub);
  });
  afterAll(() => t.close());

  it('replays what the user may see now, after Last-Event-ID or lastEventId, then goes on live', async () => {
    const [A, B] = [await t.createLibrary(), await t.createLibrary()];
    const user = await t.createUser();
    await t.grant(A, user.id, 'read');
    const first = await SseFrameClient.stream(t.baseUrl, '/sse', user.token);
    publisher.medias(A, []);
    const seen = hub.lastEventId;
    await first.waitForId(seen);
    first.close();

    publisher.medias(A, []); // seen + 1: readable when published, not any more at resume
    publisher.medias(B, []); // seen + 2: not readable when published, readable at resume
    publisher.tags(B, []); // seen + 3
    publisher.mediaProgress(A, { userRef: user.id, mediaRef: 'm', progress: 1, modified: 1 }); // seen + 4
    await t.grant(A, user.id, 'none');
    await t.grant(B, user.id, 'read');
    const replayed = [seen + 2, seen + 3, seen + 4];

    const byHeader = await SseFrameClient.stream(t.baseUrl, '/sse', user.token, {
      headers: { 'Last-Event-ID': String(seen) },
    });
    const byQuery = await SseFrameClient.stream(t.baseUrl, `/sse?lastEventId=${seen}`, user.token);
    const byEventSource = new RecordingEventSource(
      `${t.baseUrl}/sse?token=${user.token}&lastEventId=${seen}`,
      EVENT_NAMES,
    );
    await byEventSource.opened();
    publisher.medias(A, []);
    publisher.medias(B, []);
    const live = hub.lastEventId;
    for (const client of [byHeader, byQuery]) {
      // oxlint-disable-next-line no-await-in-loop -- each client in turn
      await client.waitForId(live);
      expect(client.ids).toEqual([...replayed, live]);
      expect(client.frames[0].text).toBe('retry: 20');
      expect(client.frames.filter((frame) => frame.event === 'resync')).toEqual([]);
      client.close();
    }
    await byEventSource.waitFor(4);
    expect(byEventSource.events.map((event) => Number(event.id))).toEqual([...replayed, live]);
    byEventSource.close();
  });

  it('leaves no gap and no duplicate at the seam while events keep coming', async () => {
    const library = await t.createLibrary();
    const start = hub.lastEventId;
    const stop = new AbortController();
    const pump = async () => {
      while (!stop.signal.aborted) {
        publisher.tags(library, []);
        publisher.tags(library, []);
        // oxlint-disable-next-line no-await-in-loop -- one pair per turn, interleaved with I/O
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const pumping = pump();
    const received: number[] = [];
    let lastSeen = start;
    try {
      for (let session = 0; session < 25; session++) {
        // oxlint-disable-next-line no-await-in-loop -- one session after the other
        const client = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token, {
          headers: { 'Last-Event-ID': String(lastSeen) },
        });
        // oxlint-disable-next-line no-await-in-loop -- read a little, then drop the connection
        await client.waitUntil((c) => c.ids.length >= 3);
        client.close();
        received.push(...client.ids);
        expect(client.frames.filter((frame) => frame.event !== 'tags' && !frame.retry)).toEqual([]);
        lastSeen = received.at(-1) ?? lastSeen;
      }
    } finally {
      stop.abort();
      await pumping;
    }
    publisher.tags(library, []);
    const final = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token, {
      headers: { 'Last-Event-ID': String(lastSeen) },
    });
    await final.waitForId(hub.lastEventId);
    received.push(...final.ids);
    final.close();
    expect(received.length).toBeGreaterThan(75);
    expect(received).toEqual(
      Array.from({ length: hub.lastEventId - start }, (_, index) => start + 1 + index),
    );
  });

  it('sends `resync` first for an id older than the history, then what it still holds', async () => {
    const library = await t.createLibrary();
    const old = hub.lastEventId;
    for (let index = 0; index < HISTORY + 10; index++) publisher.tags(library, []);
    const newest = hub.lastEventId;
    const client = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token, {
      headers: { 'Last-Event-ID': String(old) },
    });
    await client.waitForId(newest);
    const [retry, resync, ...rest] = client.frames;
    expect(retry.text).toBe('retry: 20');
    expect(resync.event).toBe('resync');
    expect(resync.id).toBeUndefined();
    expect(JSON.parse(resync.data ?? '')).toEqual({ Resync: { reason: expect.any(String) } });
    expect(rest.map((frame) => Number(frame.id))).toEqual(
      Array.from({ length: HISTORY }, (_, index) => newest - HISTORY + 1 + index),
    );
    client.close();
  });

  it('sends `resync` for an id from the future, such as one from before a restart', async () => {
    const client = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token, {
      headers: { 'Last-Event-ID': String(hub.lastEventId + 1000) },
    });
    await client.waitUntil((c) => c.frames.length >= 2);
    expect(client.frames[1].event).toBe('resync');
    publisher.tags(await t.createLibrary(), []);
    await client.waitForId(hub.lastEventId);
    expect(client.frames.filter((frame) => frame.event === 'resync')).toHaveLength(1);
    client.close();
  });
});

describe('GET /sse: resume beyond the live queue and across a restart', () => {
  it('replays in full whatever the history still holds, even more than a live queue holds', async () => {
    const quick = await createTestApp({ SSE_HISTORY_SIZE: '500', SSE_MAX_QUEUE_EVENTS: '16' });
    try {
      const quickPublisher = quick.app.get(EventsPublisher);
      const library = await quick.createLibrary();
      const from = quick.app.get(EventHub).lastEventId;
      for (let index = 0; index < 200; index++) quickPublisher.tags(library, []);
      const client = await SseFrameClient.stream(quick.baseUrl, '/sse', quick.admin.token, {
        headers: { 'Last-Event-ID': String(from) },
      });
      await client.waitForId(from + 200);
      expect(client.frames.filter((frame) => frame.event === 'lagged')).toEqual([]);
      expect(client.ids).toEqual(Array.from({ length: 200 }, (_, index) => from + 1 + index));
      client.close();
    } finally {
      await quick.close();
    }
  });

  it('after a clean restart on the same DATA_DIR, ids go on and a resume gets exactly what it missed', async () => {
    const first = await createTestApp({ SSE_HISTORY_SIZE: '50' });
    const library = await first.createLibrary();
    const publishTags = (app: TestApp, count: number) => {
      for (let index = 0; index < count; index++) app.app.get(EventsPublisher).tags(library, []);
    };
    publishTags(first, 5);
    const before = first.app.get(EventHub).lastEventId;
    const seen = before - 3;
    await first.close({ keepData: true });
    const second = await createTestApp({ DATA_DIR: first.dataDir, SSE_HISTORY_SIZE: '50' });
    try {
      expect(second.app.get(EventHub).lastEventId).toBe(before);
      publishTags(second, 4);
      const token = await second.login(first.admin.username, first.admin.password);
      const client = await SseFrameClient.stream(second.baseUrl, '/sse', token, {
        headers: { 'Last-Event-ID': String(seen) },
      });
      await client.waitForId(before + 4);
      expect(client.events.map((frame) => frame.event)).not.toContain('resync');
      expect(client.ids).toEqual(Array.from({ length: 7 }, (_, index) => seen + 1 + index));
      client.close();

      const ahead = await SseFrameClient.stream(second.baseUrl, '/sse', token, {
        headers: { 'Last-Event-ID': String(before + 100) },
      });
      await ahead.waitUntil((c) => c.events.length >= 1);
      expect(ahead.events[0].event).toBe('resync');
      ahead.close();
    } finally {
      await second.close();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
