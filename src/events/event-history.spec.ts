import * as fc from 'fast-check';
import { EventHistory } from './event-history.js';
import { eventWeight } from './history-budget.js';
import { wireForms } from './http-chunk.js';
import type { PublishedEvent } from './published-event.js';

function eventWithId(id: number, padding = 0): PublishedEvent {
  const data = JSON.stringify({ Tags: { library: 'lib', tags: [], note: 'x'.repeat(padding) } });
  const variant = { data, ...wireForms(`event: tags\nid: ${id}\ndata: ${data}\n\n`) };
  return {
    id,
    name: 'tags',
    audience: 'library-readers',
    library: 'lib',
    owner: undefined,
    full: variant,
    forReaders: variant,
    weight: eventWeight(data, null),
  };
}

function historyOf(capacity: number, count: number): EventHistory {
  const history = new EventHistory({ maxEvents: capacity, maxBytes: Number.MAX_SAFE_INTEGER });
  for (let id = 1; id <= count; id++) history.add(eventWithId(id));
  return history;
}

const ids = (events: PublishedEvent[]) => events.map((event) => event.id);

describe('EventHistory', () => {
  it('replays nothing, completely, before any event', () => {
    expect(historyOf(4, 0).after(0, 0)).toEqual({ complete: true, events: [] });
  });

  it('replays the events after the id, oldest first, while the ring still holds them', () => {
    const history = historyOf(10, 5);
    expect(history.length).toBe(5);
    expect(ids(history.after(0, 5).events)).toEqual([1, 2, 3, 4, 5]);
    expect(history.after(3, 5)).toMatchObject({ complete: true });
    expect(ids(history.after(3, 5).events)).toEqual([4, 5]);
    expect(history.after(5, 5)).toEqual({ complete: true, events: [] });
  });

  it('keeps only the newest `capacity` events once full', () => {
    const history = historyOf(3, 5);
    expect(history.length).toBe(3);
    expect(history.after(2, 5).complete).toBe(true);
    expect(ids(history.after(2, 5).events)).toEqual([3, 4, 5]);
    expect(ids(history.after(4, 5).events)).toEqual([5]);
  });

  it('says the replay is incomplete when the id is older than the ring, and gives what it holds', () => {
    const history = historyOf(3, 5);
    for (const lastEventId of [0, 1]) {
      const replay = history.after(lastEventId, 5);
      expect(replay.complete).toBe(false);
      expect(ids(replay.events)).toEqual([3, 4, 5]);
    }
  });

  it('says the replay is incomplete for an id it never issued (a resume after a restart)', () => {
    const replay = historyOf(10, 5).after(9, 5);
    expect(replay.complete).toBe(false);
    expect(ids(replay.events)).toEqual([1, 2, 3, 4, 5]);
    expect(historyOf(10, 0).after(1, 0)).toEqual({ complete: false, events: [] });
  });

  it('with no room at all, only a resume at the newest id is complete', () => {
    const history = historyOf(0, 5);
    expect(history.length).toBe(0);
    expect(history.after(5, 5)).toEqual({ complete: true, events: [] });
    expect(history.after(4, 5)).toEqual({ complete: false, events: [] });
  });

  it('keeps no more bytes of messages than SSE_HISTORY_BYTES, dropping the oldest first', () => {
    const size = Buffer.byteLength(eventWithId(1, 1000).full.data);
    const history = new EventHistory({ maxEvents: 100, maxBytes: 3 * size });
    for (let id = 1; id <= 10; id++) history.add(eventWithId(id, 1000));
    expect(history.length).toBe(3);
    expect(history.after(7, 10)).toMatchObject({ complete: true });
    expect(ids(history.after(7, 10).events)).toEqual([8, 9, 10]);
    expect(history.after(6, 10).complete).toBe(false);

    // An event bigger than the whole budget is not kept, nor is anything before it.
    history.add(eventWithId(11, 4000));
    expect(history.length).toBe(0);
    expect(history.after(10, 11).complete).toBe(false);
    expect(history.after(11, 11)).toEqual({ complete: true, events: [] });
    history.add(eventWithId(12, 1000));
    expect(ids(history.after(11, 12).events)).toEqual([12]);
  });

  it('agrees with a plain list of every event, however often the ring wrapped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 60 }),
        (capacity, count, lastEventId) => {
          const kept = Array.from({ length: count }, (_, index) => index + 1).slice(
            Math.max(0, count - capacity),
          );
          const oldestKept = count - kept.length + 1;
          const replay = historyOf(capacity, count).after(lastEventId, count);
          const complete = lastEventId <= count && lastEventId >= oldestKept - 1;
          expect(replay.complete).toBe(complete);
          expect(ids(replay.events)).toEqual(
            lastEventId > count ? kept : kept.filter((id) => id > lastEventId),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
