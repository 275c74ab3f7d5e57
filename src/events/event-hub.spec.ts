import { eventsOptionsOf, loadAppConfig } from '../config/app-config.js';
import { EVENT_CATALOG, EVENT_NAMES, type EventMap, type EventName } from './event-catalog.js';
import { publishingHub } from './log/volatile-event-store.js';
import type { ServerLibrary } from './events.types.js';
import type { PublishedEvent } from './published-event.js';

const library: ServerLibrary = {
  id: 'lib-1',
  name: 'Photos',
  type: 'photos',
  root: '/srv/photos',
  settings: { scan: true },
  createdAt: 1,
  updatedAt: 2,
};

const item = { id: 'x', library: 'lib-1', name: 'n' };

/** One message per event type, with the wrapper key and library the event API gives it (README, "The event API"). */
const SAMPLES: { [N in EventName]: [key: string, message: EventMap[N], library?: string] } = {
  library: ['Library', { action: 'Added', library }, 'lib-1'],
  'library-status': ['LibraryStatus', { library: 'lib-1', message: 'scan', progress: 3 }, 'lib-1'],
  medias: ['Medias', { library: 'lib-1', medias: [] }, 'lib-1'],
  upload_progress: ['UploadProgress', { library: 'lib-1', mediaId: 'm', progress: 1 }, 'lib-1'],
  convert_progress: [
    'ConvertProgress',
    { library: 'lib-1', mediaId: 'm', progress: 1, status: 'running' },
    'lib-1',
  ],
  episodes: [
    'Episodes',
    { library: 'lib-1', episodes: [{ action: 'Updated', episode: { ...item, serie: 's' } }] },
    'lib-1',
  ],
  series: ['Series', { library: 'lib-1', series: [{ action: 'Added', serie: item }] }, 'lib-1'],
  movies: ['Movies', { library: 'lib-1', movies: [{ action: 'Added', movie: item }] }, 'lib-1'],
  people: ['People', { library: 'lib-1', people: [{ action: 'Added', person: item }] }, 'lib-1'],
  tags: ['Tags', { library: 'lib-1', tags: [{ action: 'Deleted', tag: item }] }, 'lib-1'],
  backups: ['Backups', { backup: { id: 'b', name: 'nightly', library: null, status: 'idle' } }],
  'backups-files': ['BackupsFiles', { file: 'a.jpg', progress: 50 }],
  media_progress: [
    'MediaProgress',
    { library: 'lib-1', progress: { userRef: 'u', mediaRef: 'm', progress: 9, modified: 1 } },
    'lib-1',
  ],
  media_rating: [
    'MediaRating',
    { library: 'lib-1', rating: { userRef: 'u', mediaRef: 'm', rating: 5, modified: 1 } },
    'lib-1',
  ],
};

type PublishingHub = ReturnType<typeof publishingHub>;

function hubWithHistory(size = 100): PublishingHub {
  return publishingHub(eventsOptionsOf(loadAppConfig({ SSE_HISTORY_SIZE: String(size) })));
}

function publishSample(hub: PublishingHub, name: EventName): PublishedEvent {
  return hub.publish(name, SAMPLES[name][1]);
}

/** A `tags` event as a bus hands it to the hub, with its id. */
function stored(hub: PublishingHub, id: number) {
  return { id, ...hub.encode('tags', { library: 'lib-1', tags: [] }) };
}

describe('EventHub', () => {
  it('knows the 14 event types of the API', () => {
    expect(EVENT_NAMES.sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(Object.keys(SAMPLES) as EventName[])(
    '%s: frames `event`, the id and the message wrapped in its key, once',
    (name) => {
      const hub = hubWithHistory();
      hub.publish('tags', SAMPLES.tags[1]);
      const [key, message, libraryId] = SAMPLES[name];
      const event = publishSample(hub, name);
      const data = JSON.stringify({ [key]: message });
      expect(event).toMatchObject({ id: 2, name, library: libraryId });
      expect(event.full.data).toBe(data);
      expect(event.full.frame.toString()).toBe(`event: ${name}\nid: 2\ndata: ${data}\n\n`);
      expect(event.audience).toBe(EVENT_CATALOG[name].audience);
      expect(event.forReaders === event.full).toBe(name !== 'library');
    },
  );

  it('names the owner of per-user events', () => {
    const hub = hubWithHistory();
    expect(publishSample(hub, 'media_progress').owner).toBe('u');
    expect(publishSample(hub, 'media_rating').owner).toBe('u');
    expect(publishSample(hub, 'medias').owner).toBeUndefined();
  });

  it('gives a library to backups of a library and none to server-wide ones', () => {
    const hub = hubWithHistory();
    const ofLibrary = hub.publish('backups', {
      backup: { id: 'b', name: 'b', library: 'lib-9', status: 'done' },
    });
    expect(ofLibrary.library).toBe('lib-9');
    expect(publishSample(hub, 'backups').library).toBeUndefined();
    expect(hub.publish('backups-files', { library: 'lib-9', file: 'f', progress: 1 }).library).toBe(
      'lib-9',
    );
  });

  it('builds a reader variant of library events without root and settings, same id', () => {
    const event = publishSample(hubWithHistory(), 'library');
    const { root: _root, settings: _settings, ...visible } = library;
    const readerData = JSON.stringify({ Library: { action: 'Added', library: visible } });
    expect(event.forReaders).not.toBe(event.full);
    expect(event.forReaders.data).toBe(readerData);
    expect(event.forReaders.frame.toString()).toBe(
      `event: library\nid: 1\ndata: ${readerData}\n\n`,
    );
    expect(JSON.parse(event.full.data)).toEqual({ Library: { action: 'Added', library } });
  });

  it('stamps strictly increasing ids and hands every subscriber the same prebuilt event', () => {
    const hub = hubWithHistory();
    const first: PublishedEvent[] = [];
    const second: PublishedEvent[] = [];
    const subscriptions = [
      hub.events$.subscribe((event) => first.push(event)),
      hub.events$.subscribe((event) => second.push(event)),
    ];
    const published = (Object.keys(SAMPLES) as EventName[]).map((name) => publishSample(hub, name));
    for (const subscription of subscriptions) subscription.unsubscribe();

    expect(published.map((event) => event.id)).toEqual(published.map((_, index) => index + 1));
    expect(hub.lastEventId).toBe(14);
    published.forEach((event, index) => {
      expect(first[index]).toBe(event);
      expect(second[index]).toBe(event);
      expect(second[index].full.frame).toBe(first[index].full.frame);
    });
  });

  it('does not change the message it was given', () => {
    const message = { action: 'Updated' as const, library: { ...library } };
    hubWithHistory().publish('library', message);
    expect(message.library).toEqual(library);
  });

  it('keeps its history for resume, as large as configured', () => {
    const hub = hubWithHistory(2);
    for (let index = 0; index < 5; index++) publishSample(hub, 'tags');
    expect(hub.replayAfter(3)).toMatchObject({ complete: true });
    expect(hub.replayAfter(3).events.map((event) => event.id)).toEqual([4, 5]);
    expect(hub.replayAfter(2).complete).toBe(false);
    expect(hub.replayAfter(5)).toEqual({ complete: true, events: [] });
    expect(hub.replayAfter(6).complete).toBe(false);
  });

  it('tells open connections of a gap in the ids and starts its history again after it', () => {
    const hub = hubWithHistory();
    const told: string[] = [];
    const subscription = hub.gaps$.subscribe((reason) => told.push(reason));
    for (const id of [1, 2, 3]) hub.deliver(stored(hub, id));
    expect(told).toEqual([]);
    hub.deliver(stored(hub, 1001));
    subscription.unsubscribe();
    expect(told).toEqual(['events before 1001 may have been missed; reload your state']);
    hub.deliver(stored(hub, 1002));
    expect(hub.lastEventId).toBe(1002);
    expect(hub.replayAfter(2).complete).toBe(false);
    expect(hub.replayAfter(3).complete).toBe(false);
    expect(hub.replayAfter(1000)).toMatchObject({ complete: true });
    expect(hub.replayAfter(1000).events.map((event) => event.id)).toEqual([1001, 1002]);
  });

  it('restores the consecutive run that ends at the last id, and goes on after it', () => {
    const hub = hubWithHistory();
    hub.restore({ lastId: 12, events: [7, 10, 11, 12].map((id) => stored(hub, id)) });
    expect(hub.lastEventId).toBe(12);
    expect(hub.replayAfter(9).events.map((event) => event.id)).toEqual([10, 11, 12]);
    expect(hub.replayAfter(8).complete).toBe(false);
    expect(publishSample(hub, 'tags').id).toBe(13);

    const behind = hubWithHistory();
    behind.restore({ lastId: 20, events: [10, 11].map((id) => stored(behind, id)) });
    expect(behind.replayAfter(11).complete).toBe(false);
    expect(behind.replayAfter(20)).toEqual({ complete: true, events: [] });
  });
});
