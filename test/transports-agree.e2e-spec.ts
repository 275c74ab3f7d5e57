import * as fc from 'fast-check';
import { EventHub } from '../src/events/event-hub.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import type { EventMap, EventName } from '../src/events/event-catalog.js';
import {
  EVENT_NAMES,
  expectedData,
  publishMessage,
  sampleMessage,
} from './support/event-samples.js';
import { eventually } from './support/eventually.js';
import { RecordingSocket } from './support/socketio-client.js';
import { RecordingEventSource } from './support/sse-client.js';
import { createTestApp, type TestApp, type TestUser } from './support/test-app.js';

/**
 * SSE and Socket.IO must deliver the same events to the same users. Each user gets one
 * connection of each transport; both must equal an oracle written here from
 * docs/permissions.md, independently of the server's audience code, and so equal each other.
 */

type Role = 'none' | 'read' | 'write' | 'admin';
const RANK: Record<Role, number> = { none: 0, read: 1, write: 2, admin: 3 };
const READER_EVENTS = new Set<EventName>([
  'library',
  'medias',
  'upload_progress',
  'convert_progress',
  'episodes',
  'series',
  'movies',
  'people',
  'tags',
]);

interface Delivered {
  type: string;
  id: number | undefined;
  data: unknown;
}

interface Published {
  id: number;
  name: EventName;
  message: unknown;
  /** The role of every user in the event's library at the moment it was published. */
  roles: Map<string, Role>;
}

interface Viewer {
  user: TestUser;
  serverAdmin: boolean;
  filter: string[] | null;
}

/** The library an event belongs to, read from the message as the event API shapes it. */
function libraryOf(name: EventName, message: unknown): string | undefined {
  if (name === 'library') return (message as EventMap['library']).library.id;
  if (name === 'backups') return (message as EventMap['backups']).backup.library ?? undefined;
  return (message as { library?: string }).library;
}

function ownerOf(name: EventName, message: unknown): string | undefined {
  if (name === 'media_progress') return (message as EventMap['media_progress']).progress.userRef;
  if (name === 'media_rating') return (message as EventMap['media_rating']).rating.userRef;
  return undefined;
}

/** docs/permissions.md's rules, one event and one viewer at a time: the data the viewer gets, if any. */
function oracle(viewer: Viewer, event: Published): Delivered | undefined {
  const library = libraryOf(event.name, event.message);
  if (viewer.filter !== null && library !== undefined && !viewer.filter.includes(library)) {
    return undefined;
  }
  const role: Role = viewer.serverAdmin ? 'admin' : (event.roles.get(viewer.user.id) ?? 'none');
  let receives: boolean;
  if (READER_EVENTS.has(event.name)) receives = library !== undefined && RANK[role] >= RANK.read;
  else if (event.name === 'library-status') receives = library !== undefined && role === 'admin';
  else if (event.name === 'backups')
    receives = library === undefined ? viewer.serverAdmin : role === 'admin';
  else if (event.name === 'backups-files') receives = viewer.serverAdmin;
  else receives = ownerOf(event.name, event.message) === viewer.user.id;
  if (!receives) return undefined;
  return {
    type: event.name,
    id: event.id,
    data: expectedData(event.name, event.message, role === 'admin'),
  };
}

const STREAM_NAMES = [...EVENT_NAMES, 'lagged', 'resync'];

/** One connection of each transport for one viewer. */
class Pair {
  private constructor(
    readonly viewer: Viewer,
    readonly sse: RecordingEventSource,
    readonly socket: RecordingSocket,
  ) {}

  static async open(t: TestApp, viewer: Viewer, lastEventId?: number): Promise<Pair> {
    const query = new URLSearchParams({ token: viewer.user.token });
    if (viewer.filter !== null) query.set('libraries', viewer.filter.join(','));
    const sse = new RecordingEventSource(
      `${t.baseUrl}/sse?${query.toString()}`,
      STREAM_NAMES,
      lastEventId === undefined ? undefined : { headers: { 'Last-Event-ID': String(lastEventId) } },
    );
    const socket = new RecordingSocket(t.baseUrl, {
      auth: lastEventId === undefined ? {} : { lastEventId },
      query: Object.fromEntries(query),
    });
    const pair = new Pair(viewer, sse, socket);
    try {
      await Promise.all([sse.opened(), socket.connected()]);
    } catch (error) {
      await pair.close();
      throw error;
    }
    return pair;
  }

  /** What the SSE stream received, with our notices' ids dropped (EventSource repeats the last). */
  get sseEvents(): Delivered[] {
    return this.sse.events.map(({ type, id, data }) => ({
      type,
      id: type === 'lagged' || type === 'resync' ? undefined : Number(id),
      data,
    }));
  }

  get socketEvents(): Delivered[] {
    return this.socket.events;
  }

  /** Resolves once both connections received the event `id`. */
  async waitForId(id: number): Promise<void> {
    await Promise.all([
      eventually(
        () => this.sse.events,
        (events) => events.some((event) => event.id === String(id)),
      ),
      this.socket.waitUntil((events) => events.some((event) => event.id === id)),
    ]);
  }

  async close(): Promise<void> {
    this.sse.close();
    await this.socket.close();
  }
}

describe('SSE and Socket.IO deliver the same events to the same users', () => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let hub: EventHub;

  beforeAll(async () => {
    t = await createTestApp();
    publisher = t.app.get(EventsPublisher);
    hub = t.app.get(EventHub);
  });
  afterAll(() => t.close());

  const publish = <N extends EventName>(
    name: N,
    message: EventMap[N],
    roles: Map<string, Role>,
  ): Published => {
    publishMessage(publisher, name, message);
    return { id: hub.lastEventId, name, message, roles: new Map(roles) };
  };

  async function waitForNoConnections(): Promise<void> {
    await eventually(
      async () => {
        const response = await t
          .http()
          .get('/events/stats')
          .set('Authorization', `Bearer ${t.admin.token}`);
        return response.body as { sse: { connections: number }; socketio: { connections: number } };
      },
      (stats) => stats.sse.connections === 0 && stats.socketio.connections === 0,
    );
  }

  /** Publishes one media_progress per pair that only its viewer receives, and waits for all. */
  async function settle(
    pairs: Pair[],
    roles: Map<string, Role>,
    fallbackLibrary: string,
  ): Promise<Published[]> {
    const sentinels = pairs.map((pair, index) =>
      publish(
        'media_progress',
        sampleMessage('media_progress', {
          library: pair.viewer.filter?.[0] ?? fallbackLibrary,
          userRef: pair.viewer.user.id,
          tag: 100_000 + index,
        }),
        roles,
      ),
    );
    await Promise.all(pairs.map((pair, index) => pair.waitForId(sentinels[index].id)));
    return sentinels;
  }

  /** Opens a pair per viewer, runs `body`, and always closes them all again. */
  async function withPairs(
    viewers: Viewer[],
    body: (pairs: Pair[]) => Promise<void>,
    lastEventId?: number,
  ): Promise<void> {
    const opened = await Promise.allSettled(
      viewers.map((viewer) => Pair.open(t, viewer, lastEventId)),
    );
    const pairs = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    try {
      if (pairs.length !== viewers.length) throw new Error('a connection could not be opened');
      await body(pairs);
    } finally {
      await Promise.all(pairs.map((pair) => pair.close()));
      await waitForNoConnections();
    }
  }

  describe('the permission matrix', () => {
    const RECEIVERS: Record<EventName | 'server-wide backups', string[]> = {
      library: ['read', 'write', 'admin', 'server'],
      'library-status': ['admin', 'server'],
      medias: ['read', 'write', 'admin', 'server'],
      upload_progress: ['read', 'write', 'admin', 'server'],
      convert_progress: ['read', 'write', 'admin', 'server'],
      episodes: ['read', 'write', 'admin', 'server'],
      series: ['read', 'write', 'admin', 'server'],
      movies: ['read', 'write', 'admin', 'server'],
      people: ['read', 'write', 'admin', 'server'],
      tags: ['read', 'write', 'admin', 'server'],
      backups: ['admin', 'server'],
      'server-wide backups': ['server'],
      'backups-files': ['server'],
      media_progress: ['owner'],
      media_rating: ['owner'],
    };

    it('gives each kind of user exactly the events docs/permissions.md lists, on both transports', async () => {
      const library = await t.createLibrary({ name: 'Matrix' });
      const viewers: Record<string, Viewer> = {
        server: { user: t.admin, serverAdmin: true, filter: null },
      };
      await Promise.all(
        ['none', 'read', 'write', 'admin', 'owner'].map(async (kind) => {
          const user = await t.createUser();
          if (kind !== 'none' && kind !== 'owner') await t.grant(library, user.id, kind as Role);
          viewers[kind] = { user, serverAdmin: false, filter: null };
        }),
      );
      const kinds = Object.keys(viewers);
      const noRoles = new Map<string, Role>();

      await withPairs(
        kinds.map((kind) => viewers[kind]),
        async (pairs) => {
          const published: { kind: keyof typeof RECEIVERS; event: Published }[] = [];
          for (const [tag, name] of EVENT_NAMES.entries()) {
            const message = sampleMessage(name, { library, userRef: viewers.owner.user.id, tag });
            published.push({ kind: name, event: publish(name, message, noRoles) });
          }
          const serverWide = sampleMessage('backups', {
            library: null,
            userRef: t.admin.id,
            tag: 99,
          });
          published.push({
            kind: 'server-wide backups',
            event: publish('backups', serverWide, noRoles),
          });
          const sentinels = await settle(pairs, noRoles, library);

          for (const [index, kind] of kinds.entries()) {
            const asLibraryAdmin = kind === 'admin' || kind === 'server';
            const expected = published
              .filter(({ kind: eventKind }) => RECEIVERS[eventKind].includes(kind))
              .map(({ event }) => ({
                type: event.name,
                id: event.id,
                data: expectedData(event.name, event.message, asLibraryAdmin),
              }));
            const sentinel = sentinels[index];
            expected.push({
              type: 'media_progress',
              id: sentinel.id,
              data: expectedData('media_progress', sentinel.message, false),
            });
            expect({ kind, sse: pairs[index].sseEvents }).toEqual({ kind, sse: expected });
            expect({ kind, socket: pairs[index].socketEvents }).toEqual({
              kind,
              socket: expected,
            });
          }
        },
      );
    });
  });

  it('delivers the same ids in the same order to one connection of each transport', async () => {
    const library = await t.createLibrary({ name: 'Order' });
    const elsewhere = await t.createLibrary({ name: 'Elsewhere' });
    const user = await t.createUser();
    await t.grant(library, user.id, 'write');
    await t.grant(elsewhere, user.id, 'read');
    const roles = new Map<string, Role>();
    await withPairs([{ user, serverAdmin: false, filter: [library] }], async ([pair]) => {
      for (let tag = 0; tag < 200; tag++) {
        const name = EVENT_NAMES[tag % EVENT_NAMES.length];
        const target = tag % 3 === 0 ? elsewhere : library;
        publish(name, sampleMessage(name, { library: target, userRef: user.id, tag }), roles);
      }
      await settle([pair], roles, library);
      const sseIds = pair.sseEvents.map((event) => event.id);
      expect(sseIds.length).toBeGreaterThan(100);
      expect(pair.socketEvents.map((event) => event.id)).toEqual(sseIds);
      expect(pair.socketEvents).toEqual(pair.sseEvents);
    });
  });

  it('replays the same missed events on both transports from the same resume point', async () => {
    const library = await t.createLibrary({ name: 'Resume' });
    const user = await t.createUser();
    await t.grant(library, user.id, 'read');
    const viewer: Viewer = { user, serverAdmin: false, filter: null };
    const roles = new Map<string, Role>([[user.id, 'read']]);
    const resumeFrom = hub.lastEventId;
    const missed = EVENT_NAMES.map((name, tag) =>
      publish(name, sampleMessage(name, { library, userRef: user.id, tag }), roles),
    );
    await withPairs(
      [viewer],
      async ([pair]) => {
        const sentinels = await settle([pair], roles, library);
        const expected = [...missed, ...sentinels].flatMap((event) => oracle(viewer, event) ?? []);
        expect(pair.sseEvents).toEqual(expected);
        expect(pair.socketEvents).toEqual(expected);
      },
      resumeFrom,
    );
  });

  describe('for random users, grants, filters and events', () => {
    const USERS = 4;
    let users: TestUser[];
    let libraries: string[];
    /** The grants as the server holds them, kept in step with every PUT. */
    const roles = new Map<string, Map<string, Role>>();

    beforeAll(async () => {
      libraries = [await t.createLibrary({ name: 'A' }), await t.createLibrary({ name: 'B' })];
      users = await Promise.all(Array.from({ length: USERS }, () => t.createUser()));
      for (const library of libraries) roles.set(library, new Map());
    });

    const rolesIn = (library: string | undefined) =>
      roles.get(library ?? '') ?? new Map<string, Role>();

    async function setRole(library: string, user: TestUser, role: Role): Promise<void> {
      const current = roles.get(library)!.get(user.id) ?? 'none';
      if (current === role) return;
      await t.grant(library, user.id, role);
      roles.get(library)!.set(user.id, role);
    }

    type Command =
      | { kind: 'event'; name: EventName; library: number; owner: number; noLibrary: boolean }
      | { kind: 'grant'; user: number; library: number; role: Role };

    const role = fc.constantFrom<Role>('none', 'read', 'write', 'admin');
    const command: fc.Arbitrary<Command> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('event' as const),
          name: fc.constantFrom(...EVENT_NAMES),
          // 2 is an id no library has: only server admins may see its events.
          library: fc.integer({ min: 0, max: 2 }),
          owner: fc.integer({ min: 0, max: USERS }),
          noLibrary: fc.boolean(),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('grant' as const),
          user: fc.integer({ min: 0, max: USERS - 1 }),
          library: fc.integer({ min: 0, max: 1 }),
          role,
        }),
      },
    );
    const scenario = fc.record({
      grants: fc.array(fc.array(role, { minLength: 2, maxLength: 2 }), {
        minLength: USERS,
        maxLength: USERS,
      }),
      filters: fc.array(fc.option(fc.subarray([0, 1, 2, 3], { minLength: 1 }), { nil: null }), {
        minLength: USERS + 1,
        maxLength: USERS + 1,
      }),
      commands: fc.array(command, { minLength: 1, maxLength: 20 }),
    });

    it('each connection receives what the oracle says, in order, on both transports', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ grants, filters, commands }) => {
          const libraryIds = [...libraries, 'no-such-library', 'another-unknown-id'];
          await Promise.all(
            grants.flatMap((userGrants, u) =>
              userGrants.map((grant, l) => setRole(libraries[l], users[u], grant)),
            ),
          );
          const everyone = [t.admin, ...users];
          const viewers: Viewer[] = everyone.map((user, index) => ({
            user,
            serverAdmin: index === 0,
            filter: filters[index]?.map((l) => libraryIds[l]) ?? null,
          }));
          await withPairs(viewers, async (pairs) => {
            const published: Published[] = [];
            for (const step of commands) {
              if (step.kind === 'grant') {
                // oxlint-disable-next-line no-await-in-loop -- a grant takes effect between two events
                await setRole(libraries[step.library], users[step.user], step.role);
                continue;
              }
              const withoutLibrary =
                step.noLibrary && (step.name === 'backups' || step.name === 'backups-files');
              const message = sampleMessage(step.name, {
                library: withoutLibrary ? null : libraryIds[step.library],
                userRef: everyone[step.owner].id,
                tag: published.length,
              });
              published.push(publish(step.name, message, rolesIn(libraryOf(step.name, message))));
            }
            published.push(...(await settle(pairs, new Map(), libraries[0])));
            for (const pair of pairs) {
              const expected = published.flatMap((event) => oracle(pair.viewer, event) ?? []);
              expect(pair.sseEvents).toEqual(expected);
              expect(pair.socketEvents).toEqual(expected);
            }
          });
        }),
        // Shrinking reopens every connection per step: bounded, so a failure is reported in time.
        { numRuns: 25, interruptAfterTimeLimit: 40_000 },
      );
    }, 60_000);
  });
});
