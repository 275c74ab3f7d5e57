import { EventSource } from 'eventsource';
import { EventHub } from '../src/events/event-hub.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import type { EventName } from '../src/events/event-catalog.js';
import type { ServerLibrary } from '../src/events/events.types.js';
import {
  expectedData,
  publishMessage,
  sampleLibrary,
  sampleMessage,
  type SampleFacts,
} from './support/event-samples.js';
import { RecordingEventSource } from './support/sse-client.js';
import { type SseFrame, SseFrameClient } from './support/sse-frame-client.js';
import { createTestApp, type TestApp, type TestUser } from './support/test-app.js';

/** Who connects in the matrix: a role on library L each, a server admin, and nobody special. */
const AUDIENCE = ['none', 'read', 'write', 'admin', 'serverAdmin'] as const;
type Member = (typeof AUDIENCE)[number];
type Received = 'full' | 'reader';

interface Row {
  title: string;
  name: EventName;
  facts: (ids: { L: string; users: Record<Member, TestUser> }) => Omit<SampleFacts, 'tag'>;
  receives: Partial<Record<Member, Received>>;
}

const everyReader: Partial<Record<Member, Received>> = {
  read: 'full',
  write: 'full',
  admin: 'full',
  serverAdmin: 'full',
};
const libraryAdmins: Partial<Record<Member, Received>> = { admin: 'full', serverAdmin: 'full' };
const onL =
  (userRef = 'nobody') =>
  (ids: { L: string }) => ({ library: ids.L, userRef });

/** docs/permissions.md, one row per case. */
const MATRIX: Row[] = [
  {
    title: 'library: readers without root/settings, admins with',
    name: 'library',
    facts: onL(),
    receives: { read: 'reader', write: 'reader', admin: 'full', serverAdmin: 'full' },
  },
  ...(
    [
      'medias',
      'upload_progress',
      'convert_progress',
      'episodes',
      'series',
      'movies',
      'people',
      'tags',
    ] as const
  ).map((name) => ({
    title: `${name}: everyone with at least read`,
    name,
    facts: onL(),
    receives: everyReader,
  })),
  {
    title: 'library-status: the library admins',
    name: 'library-status',
    facts: onL(),
    receives: libraryAdmins,
  },
  {
    title: 'backups of a library: its admins',
    name: 'backups',
    facts: onL(),
    receives: libraryAdmins,
  },
  {
    title: 'a server-wide backup: server admins only',
    name: 'backups',
    facts: () => ({ library: null, userRef: 'nobody' }),
    receives: { serverAdmin: 'full' },
  },
  {
    title: 'backups-files: server admins only',
    name: 'backups-files',
    facts: () => ({ library: null, userRef: 'nobody' }),
    receives: { serverAdmin: 'full' },
  },
  {
    title: 'backups-files of a library: still server admins only, not its admins',
    name: 'backups-files',
    facts: onL(),
    receives: { serverAdmin: 'full' },
  },
  ...(['media_progress', 'media_rating'] as const).flatMap((name) =>
    (['read', 'admin', 'serverAdmin', 'none'] as const).map((owner): Row => ({
      title: `${name} of the ${owner} user: that user only`,
      name,
      facts: ({ L, users }) => ({ library: L, userRef: users[owner].id }),
      receives: { [owner]: 'full' },
    })),
  ),
  {
    title: 'media_progress of an unknown user: nobody',
    name: 'media_progress',
    facts: onL('no-such-user'),
    receives: {},
  },
];

describe('GET /sse: who receives what', () => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let hub: EventHub;
  let L: string;
  /** Everyone reads it: its events are the markers that end each step. */
  let P: string;
  let users: Record<Member, TestUser>;
  const streams = {} as Record<Member, SseFrameClient>;
  let tag = 0;

  /** Publishes one marker every connection receives and waits for it everywhere. */
  async function settle(clients: SseFrameClient[]): Promise<number> {
    publisher.library('Updated', { ...sampleLibrary(P, ++tag), root: null, settings: {} });
    const marker = hub.lastEventId;
    await Promise.all(clients.map((client) => client.waitForId(marker)));
    return marker;
  }

  /** The events a client received since `from`, markers left out. */
  function since(client: SseFrameClient, from: number): SseFrame[] {
    return client.events.filter((frame) => Number(frame.id) > from && !frame.data?.includes(P));
  }

  const medias = (library: string) =>
    publishMessage(
      publisher,
      'medias',
      sampleMessage('medias', { library, userRef: '', tag: ++tag }),
    );
  const progressOf = (userRef: string, library: string) =>
    publisher.mediaProgress(library, { userRef, mediaRef: 'm', progress: ++tag, modified: 1 });

  beforeAll(async () => {
    t = await createTestApp({ SSE_RETRY_MS: '50' });
    publisher = t.app.get(EventsPublisher);
    hub = t.app.get(EventHub);
    L = await t.createLibrary({ name: 'L' });
    P = await t.createLibrary({ name: 'P' });
    const [none, read, write, admin, serverAdmin] = await Promise.all([
      t.createUser(),
      t.createUser(),
      t.createUser(),
      t.createUser(),
      t.createUser('admin'),
    ]);
    users = { none, read, write, admin, serverAdmin };
    await Promise.all([
      ...(['read', 'write', 'admin'] as const).map((role) => t.grant(L, users[role].id, role)),
      ...(['none', 'read', 'write', 'admin'] as const).map((m) => t.grant(P, users[m].id, 'read')),
    ]);
    const opened = await Promise.all(
      AUDIENCE.map((member) => SseFrameClient.stream(t.baseUrl, '/sse', users[member].token)),
    );
    AUDIENCE.forEach((member, index) => {
      streams[member] = opened[index];
    });
  });
  afterAll(async () => {
    for (const stream of Object.values(streams)) stream.close();
    await t.close();
  });

  it.each(MATRIX.map((row) => [row.title, row] as const))('%s', async (_title, row) => {
    const before = hub.lastEventId;
    const message = sampleMessage(row.name, { ...row.facts({ L, users }), tag: ++tag });
    publishMessage(publisher, row.name, message);
    const id = hub.lastEventId;
    expect(id).toBe(before + 1);
    await settle(Object.values(streams));

    for (const member of AUDIENCE) {
      const variant = row.receives[member];
      const got = since(streams[member], before).map((frame) => ({
        event: frame.event,
        id: frame.id,
        data: JSON.parse(frame.data ?? '') as unknown,
      }));
      const want = variant
        ? [
            {
              event: row.name,
              id: String(id),
              data: expectedData(row.name, message, variant === 'full'),
            },
          ]
        : [];
      expect({ member, got }).toEqual({ member, got: want });
    }
  });

  describe('library payloads', () => {
    const secret = 'hunter2-do-not-leak';

    it('never carry credentials or a password, through create, update and delete', async () => {
      const before = hub.lastEventId;
      const created = await t
        .http()
        .post('/libraries')
        .set('Authorization', `Bearer ${t.admin.token}`)
        .send({
          name: 'IPTV',
          type: 'iptv',
          root: '/srv/iptv',
          settings: { epg: true },
          credentials: { username: 'me', password: secret, url: 'http://tv.example/list' },
        })
        .expect(201);
      const id = (created.body as { id: string }).id;
      await Promise.all((['read', 'admin'] as const).map((m) => t.grant(id, users[m].id, m)));
      await t
        .http()
        .patch(`/libraries/${id}`)
        .set('Authorization', `Bearer ${t.admin.token}`)
        .send({ name: 'IPTV 2', credentials: { password: `${secret}-2` } })
        .expect(200);
      await t
        .http()
        .delete(`/libraries/${id}`)
        .set('Authorization', `Bearer ${t.admin.token}`)
        .expect(204);
      await settle(Object.values(streams));

      const libraryEvents = (member: Member) =>
        since(streams[member], before).filter((frame) => frame.event === 'library');
      for (const member of AUDIENCE) {
        for (const frame of since(streams[member], before)) {
          expect(frame.text).not.toMatch(/credentials|password|hunter2|tv\.example/);
        }
      }
      // Added reached only the server admins (no grant yet); Updated and Deleted reach the rest.
      expect(libraryEvents('serverAdmin').map((frame) => frame.data)).toHaveLength(3);
      const adminView = libraryEvents('admin').map((frame) => JSON.parse(frame.data ?? ''));
      const readerView = libraryEvents('read').map((frame) => JSON.parse(frame.data ?? ''));
      expect(adminView.map((data: { Library: { action: string } }) => data.Library.action)).toEqual(
        ['Updated', 'Deleted'],
      );
      expect(adminView[0]).toMatchObject({
        Library: { library: { id, name: 'IPTV 2', root: '/srv/iptv', settings: { epg: true } } },
      });
      expect(readerView).toHaveLength(2);
      for (const data of readerView) {
        expect(
          Object.keys((data as { Library: { library: object } }).Library.library).sort(),
        ).toEqual(['createdAt', 'id', 'name', 'type', 'updatedAt']);
      }
      expect(libraryEvents('none')).toEqual([]);
    });

    it('never carry credentials or a password even when a caller hands them to the publisher', async () => {
      const before = hub.lastEventId;
      const record = {
        ...sampleLibrary(L, ++tag),
        credentials: { username: 'me', password: secret },
        password: secret,
      };
      publisher.library('Updated', record);
      await settle(Object.values(streams));
      for (const member of ['read', 'admin', 'serverAdmin'] as const) {
        const [frame] = since(streams[member], before);
        expect(frame.event).toBe('library');
        expect(frame.text).not.toMatch(/credentials|password|hunter2/);
      }
    });
  });

  describe('the libraries filter', () => {
    let A: string;
    let B: string;
    let C: string;
    let user: TestUser;

    beforeAll(async () => {
      [A, B, C] = [await t.createLibrary(), await t.createLibrary(), await t.createLibrary()];
      user = await t.createUser();
      await t.grant(A, user.id, 'read');
      await t.grant(B, user.id, 'read');
    });

    it('is trimmed, ignores duplicates and empty parts, and gives nothing for an unreadable id', async () => {
      const client = await SseFrameClient.stream(
        t.baseUrl,
        `/sse?libraries=${encodeURIComponent(` ${A} ,${A},, ${C}`)}`,
        user.token,
      );
      const before = hub.lastEventId;
      medias(A);
      medias(B);
      medias(C);
      progressOf(user.id, B);
      publisher.tags(A, []);
      progressOf(user.id, A);
      await client.waitForId(hub.lastEventId);
      expect(
        client.events.filter((f) => Number(f.id) > before).map((f) => [f.id, f.event]),
      ).toEqual([
        [String(before + 1), 'medias'],
        [String(before + 5), 'tags'],
        [String(before + 6), 'media_progress'],
      ]);
      client.close();
    });

    it('answers an unreadable and an unknown id alike: a stream with nothing of them', async () => {
      const unreadable = await SseFrameClient.stream(t.baseUrl, `/sse?libraries=${C}`, user.token);
      const nowhere = '00000000-0000-4000-8000-000000000000';
      const unknown = await SseFrameClient.stream(
        t.baseUrl,
        `/sse?libraries=${nowhere}`,
        user.token,
      );
      expect(Object.keys(unreadable.headers).sort()).toEqual(Object.keys(unknown.headers).sort());
      const before = hub.lastEventId;
      medias(C);
      medias(A);
      publisher.libraryStatus(C, 'scan', 1);
      // All this user may get through such a filter: its own progress there.
      progressOf(user.id, C);
      progressOf(user.id, nowhere);
      await unreadable.waitForId(before + 4);
      await unknown.waitForId(before + 5);
      const after = (client: SseFrameClient) =>
        client.events.filter((f) => Number(f.id) > before).map((f) => f.id);
      expect(after(unreadable)).toEqual([String(before + 4)]);
      expect(after(unknown)).toEqual([String(before + 5)]);
      unreadable.close();
      unknown.close();
    });

    it('lets events without a library through', async () => {
      const client = await SseFrameClient.stream(t.baseUrl, `/sse?libraries=${A}`, t.admin.token);
      const before = hub.lastEventId;
      publisher.backups({ id: 'b', name: 'all', library: null, status: 'done' });
      publisher.backups({ id: 'b', name: 'B', library: B, status: 'done' });
      publisher.backupsFiles({ file: 'x', progress: 1 });
      publisher.backupsFiles({ library: B, file: 'x', progress: 1 });
      progressOf(t.admin.id, B);
      medias(B);
      medias(A);
      await client.waitForId(hub.lastEventId);
      expect(
        client.events.filter((f) => Number(f.id) > before).map((f) => [f.id, f.event]),
      ).toEqual([
        [String(before + 1), 'backups'],
        [String(before + 3), 'backups-files'],
        [String(before + 7), 'medias'],
      ]);
      client.close();
    });
  });

  describe('live grants', () => {
    it('a revoke stops, and a grant starts, events on the open stream', async () => {
      const user = await t.createUser();
      await t.grant(L, user.id, 'read');
      await t.grant(P, user.id, 'read');
      const client = await SseFrameClient.stream(t.baseUrl, '/sse', user.token);
      const es = new RecordingEventSource(`${t.baseUrl}/sse?token=${user.token}`, ['medias']);
      await es.opened();
      const mediasIds = () =>
        since(client, 0)
          .filter((f) => f.event === 'medias')
          .map((f) => f.id);
      const step = async (role: 'none' | 'read' | 'admin') => {
        await t.grant(L, user.id, role);
        publisher.medias(L, []);
        const id = String(hub.lastEventId);
        publisher.libraryStatus(L, 'scan', 1);
        publisher.library('Updated', sampleLibrary(L, ++tag));
        await settle([client]);
        return id;
      };

      const first = await step('read');
      expect(mediasIds()).toEqual([first]);
      await step('none');
      expect(mediasIds()).toEqual([first]);
      const third = await step('read');
      expect(mediasIds()).toEqual([first, third]);
      const fourth = await step('admin');
      expect(mediasIds()).toEqual([first, third, fourth]);

      const statuses = since(client, 0).filter((f) => f.event === 'library-status');
      expect(statuses.map((f) => f.id)).toEqual([String(Number(fourth) + 1)]);
      const libraryViews = since(client, 0)
        .filter((f) => f.event === 'library')
        .map((f) => JSON.parse(f.data ?? '') as { Library: { library: ServerLibrary } });
      expect(libraryViews.map((v) => v.Library.library.root !== undefined)).toEqual([
        false,
        false,
        true,
      ]);
      // One stream all along: no reconnect, one `retry` at its start.
      expect(client.frames.filter((f) => f.retry !== undefined)).toHaveLength(1);
      await es.waitFor(3);
      expect(es.events.map((e) => e.id)).toEqual([first, third, fourth]);
      client.close();
      es.close();
    });

    it("a library's Deleted event reaches its readers, then nothing more of it does", async () => {
      const user = await t.createUser();
      const doomed = await t.createLibrary({ name: 'doomed' });
      await t.grant(doomed, user.id, 'read');
      await t.grant(P, user.id, 'read');
      const client = await SseFrameClient.stream(t.baseUrl, '/sse', user.token);
      const before = hub.lastEventId;
      await t
        .http()
        .delete(`/libraries/${doomed}`)
        .set('Authorization', `Bearer ${t.admin.token}`)
        .expect(204);
      publisher.medias(doomed, []);
      await settle([client]);
      const got = since(client, before);
      expect(got.map((f) => f.event)).toEqual(['library']);
      expect(JSON.parse(got[0].data ?? '')).toMatchObject({
        Library: { action: 'Deleted', library: { id: doomed } },
      });
      client.close();
    });

    it("deleting a user ends that user's streams at once", async () => {
      const user = await t.createUser();
      const first = await SseFrameClient.stream(t.baseUrl, '/sse', user.token);
      const second = await SseFrameClient.stream(t.baseUrl, '/sse', user.token);
      const es = new RecordingEventSource(`${t.baseUrl}/sse?token=${user.token}`, ['medias']);
      await es.opened();
      const refused = new Promise<void>((resolve) => {
        es.source.addEventListener('error', () => {
          if (es.source.readyState === EventSource.CLOSED) resolve();
        });
      });
      await t
        .http()
        .delete(`/users/${user.id}`)
        .set('Authorization', `Bearer ${t.admin.token}`)
        .expect(204);
      await first.waitUntil((c) => c.ended, 1000);
      await second.waitUntil((c) => c.ended, 1000);
      // EventSource tries again (SSE_RETRY_MS is 50 here) and is refused for good.
      await refused;
      expect(es.source.readyState).toBe(EventSource.CLOSED);
      first.close();
      second.close();
      es.close();
    });
  });
});
