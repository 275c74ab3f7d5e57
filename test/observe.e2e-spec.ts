import { Module } from '@nestjs/common';
import { ObservedStreamController } from '../bench/reelay/observed-stream.controller.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { type SseFrame, SseFrameClient } from './support/sse-frame-client.js';
import {
  createLibraryCast,
  createTestApp,
  type LibraryCast,
  type TestApp,
} from './support/test-app.js';

/** A host's own `@Sse()` route on EventStreams, as the bench serves it, behind the app's guard. */
@Module({ controllers: [ObservedStreamController] })
class ObservedModule {}

/** What both routes must agree on: each event's name, id and data. */
const events = (client: SseFrameClient) =>
  client.frames
    .filter((frame: SseFrame) => frame.event !== undefined)
    .map(({ event, id, data }) => ({ event, id, data }));

describe("EventStreams.observe: a host's @Sse() route", () => {
  let t: TestApp;
  let cast: LibraryCast;

  beforeAll(async () => {
    t = await createTestApp({}, [ObservedModule]);
    cast = await createLibraryCast(t, { root: '/srv/photos' });
  });
  afterAll(() => t.close());

  const open = (path: string, lastEventId?: number) =>
    SseFrameClient.stream(t.baseUrl, path, cast.reader.token, {
      headers: lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) },
    });

  it('delivers the frames /sse delivers, under the same rules, and resumes the same way', async () => {
    const [raw, observed] = await Promise.all([open('/sse'), open('/observed')]);
    const publisher = t.app.get(EventsPublisher);
    await t.as(t.admin).patch(`/libraries/${cast.library}`).send({ name: 'Renamed' }).expect(200);
    publisher.tags(cast.otherLibrary, []);
    publisher.tags(cast.library, []);
    publisher.tags(cast.library, []);
    await raw.waitUntil((client) => events(client).length >= 3);
    await observed.waitUntil((client) => events(client).length >= 3);
    raw.close();
    observed.close();

    const seen = events(raw);
    expect(seen.map((frame) => frame.event)).toEqual(['library', 'tags', 'tags']);
    // The reader's view of the library: no root.
    expect(seen[0].data).not.toContain('/srv/photos');
    expect(events(observed)).toEqual(seen);

    const from = Number(seen[0].id);
    const [rawResumed, observedResumed] = await Promise.all([
      open('/sse', from),
      open('/observed', from),
    ]);
    await rawResumed.waitUntil((client) => events(client).length >= 2);
    await observedResumed.waitUntil((client) => events(client).length >= 2);
    rawResumed.close();
    observedResumed.close();
    expect(events(observedResumed)).toEqual(events(rawResumed));
    expect(events(rawResumed)).toEqual(seen.slice(1));
  });
});
