import * as fc from 'fast-check';
import type { AccessRepository } from '../access/access.repository.js';
import { AccessService } from '../access/access.service.js';
import type { Principal } from '../access/principal.js';
import type { GrantedRole, LibraryRole, ServerRole } from '../access/roles.js';
import { eventsOptionsOf, loadAppConfig } from '../config/app-config.js';
import {
  canReceive,
  forEachRecipient,
  passesLibraryFilter,
  receiverIsLibraryAdmin,
  variantFor,
} from './audience.js';
import { publishingHub } from './log/volatile-event-store.js';
import type { EventMap, EventName } from './event-catalog.js';
import type { ServerLibrary } from './events.types.js';
import type { EventVariant, PublishedEvent } from './published-event.js';

const LIB = 'lib-1';
const OTHER_LIB = 'lib-2';

/** The live access state is pure memory once loaded; its repository is never asked here. */
function accessWith(
  accounts: { id: string; role: ServerRole }[],
  grants: [string, string, GrantedRole][],
): AccessService {
  const access = new AccessService({} as AccessRepository, loadAppConfig({}));
  for (const { id, role } of accounts) access.addAccount({ id, username: id, role });
  for (const [library, user, role] of grants) access.setGrant(library, user, role);
  return access;
}

function libraryOf(id: string): ServerLibrary {
  return {
    id,
    name: 'L',
    type: 'photos',
    root: '/srv/l',
    settings: { a: 1 },
    createdAt: 1,
    updatedAt: 2,
  };
}

/** One message of each kind the audience rules distinguish. */
function sampleMessages(library: string | null, userRef: string): [EventName, unknown][] {
  const lib = library ?? LIB;
  const media = {
    id: 'm',
    library: lib,
    name: 'n',
    mimetype: 'image/png',
    size: 1,
    modified: 1,
    added: 1,
    updated: 1,
    origin: 'scan',
  };
  const item = { id: 'x', library: lib, name: 'n' };
  const messages: [EventName, unknown][] = [
    ['library', { action: 'Updated', library: libraryOf(lib) }],
    ['library-status', { library: lib, message: 'scanning', progress: 5 }],
    ['medias', { library: lib, medias: [{ action: 'Added', media }] }],
    ['upload_progress', { library: lib, mediaId: 'm', progress: 10 }],
    ['convert_progress', { library: lib, mediaId: 'm', progress: 10, status: 'running' }],
    [
      'episodes',
      { library: lib, episodes: [{ action: 'Added', episode: { ...item, serie: 's' } }] },
    ],
    ['series', { library: lib, series: [{ action: 'Added', serie: item }] }],
    ['movies', { library: lib, movies: [{ action: 'Added', movie: item }] }],
    ['people', { library: lib, people: [{ action: 'Added', person: item }] }],
    ['tags', { library: lib, tags: [{ action: 'Added', tag: item }] }],
    ['backups', { backup: { id: 'b', name: 'b', library, status: 'done' } }],
    [
      'backups-files',
      library === null ? { file: 'f', progress: 1 } : { library, file: 'f', progress: 1 },
    ],
    [
      'media_progress',
      { library: lib, progress: { userRef, mediaRef: 'm', progress: 1, modified: 1 } },
    ],
    ['media_rating', { library: lib, rating: { userRef, mediaRef: 'm', rating: 4, modified: 1 } }],
  ];
  return messages;
}

type PublishingHub = ReturnType<typeof publishingHub>;

function newHub(): PublishingHub {
  return publishingHub(eventsOptionsOf(loadAppConfig({ SSE_HISTORY_SIZE: '0' })));
}

function publishAll(hub: PublishingHub, messages: [EventName, unknown][]): PublishedEvent[] {
  return messages.map(([name, message]) => hub.publish(name, message as EventMap[typeof name]));
}

function recipientsOf(event: PublishedEvent, access: AccessService): Map<string, EventVariant> {
  const recipients = new Map<string, EventVariant>();
  forEachRecipient(event, access, (userId, variant) => {
    expect(recipients.has(userId)).toBe(false);
    recipients.set(userId, variant);
  });
  return recipients;
}

/** canReceive (used per connection on replay) and forEachRecipient (used per event live) agree. */
function expectAgreement(event: PublishedEvent, access: AccessService, principals: Principal[]) {
  const recipients = recipientsOf(event, access);
  for (const principal of principals) {
    const allowed = canReceive(principal, event);
    expect([principal.userId, allowed]).toEqual([
      principal.userId,
      recipients.has(principal.userId),
    ]);
    expect(recipients.get(principal.userId)).toBe(
      allowed ? variantFor(event, receiverIsLibraryAdmin(principal, event)) : undefined,
    );
  }
  return recipients;
}

type Received = 'full' | 'reader';

describe('audience rules', () => {
  const accounts: { id: string; role: ServerRole }[] = [
    { id: 'server-admin', role: 'admin' },
    { id: 'reader', role: 'user' },
    { id: 'writer', role: 'user' },
    { id: 'lib-admin', role: 'user' },
    { id: 'stranger', role: 'user' },
    { id: 'other-lib-admin', role: 'user' },
    { id: 'gone', role: 'admin' },
  ];
  const grants: [string, string, GrantedRole][] = [
    [LIB, 'reader', 'read'],
    [LIB, 'writer', 'write'],
    [LIB, 'lib-admin', 'admin'],
    [OTHER_LIB, 'other-lib-admin', 'admin'],
    [LIB, 'gone', 'admin'],
  ];
  let access: AccessService;
  let principals: Principal[];

  beforeEach(() => {
    access = accessWith(accounts, grants);
    principals = accounts.map(({ id }) => access.principalFor(id) as Principal);
    access.removeAccount('gone');
  });

  const readers: Record<string, Received> = {
    'server-admin': 'full',
    'lib-admin': 'full',
    writer: 'full',
    reader: 'full',
  };
  const admins: Record<string, Received> = { 'server-admin': 'full', 'lib-admin': 'full' };
  const expected: Record<EventName, Record<string, Received>> = {
    library: { 'server-admin': 'full', 'lib-admin': 'full', writer: 'reader', reader: 'reader' },
    'library-status': admins,
    medias: readers,
    upload_progress: readers,
    convert_progress: readers,
    episodes: readers,
    series: readers,
    movies: readers,
    people: readers,
    tags: readers,
    backups: admins,
    'backups-files': { 'server-admin': 'full' },
    media_progress: { stranger: 'full' },
    media_rating: { stranger: 'full' },
  };

  it.each(sampleMessages(LIB, 'stranger').map(([name]) => name))(
    '%s on a library reaches exactly whom docs/permissions.md names, with the right variant',
    (name) => {
      const hub = newHub();
      const event = publishAll(hub, sampleMessages(LIB, 'stranger')).find((e) => e.name === name);
      const recipients = expectAgreement(event as PublishedEvent, access, principals);
      const got = Object.fromEntries(
        [...recipients].map(([userId, variant]) => [
          userId,
          variant === event?.full ? 'full' : 'reader',
        ]),
      );
      expect(got).toEqual(expected[name]);
    },
  );

  it('a server-wide backup and backups-files without a library reach server admins only', () => {
    const events = publishAll(newHub(), sampleMessages(null, 'stranger')).filter((event) =>
      ['backups', 'backups-files'].includes(event.name),
    );
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event.library).toBeUndefined();
      expect([...expectAgreement(event, access, principals).keys()]).toEqual(['server-admin']);
    }
  });

  it('owner events reach only their owner, even one without any library role, never an admin', () => {
    for (const owner of ['reader', 'server-admin', 'lib-admin']) {
      for (const event of publishAll(newHub(), sampleMessages(LIB, owner)).slice(-2)) {
        expect([...expectAgreement(event, access, principals).keys()]).toEqual([owner]);
      }
    }
  });

  it('owner events for a deleted or unknown user reach nobody', () => {
    for (const owner of ['gone', 'nobody']) {
      for (const event of publishAll(newHub(), sampleMessages(LIB, owner)).slice(-2)) {
        expect(expectAgreement(event, access, principals).size).toBe(0);
      }
    }
  });

  it('a deleted user receives nothing, even while still holding a Principal', () => {
    const gone = principals.find((principal) => principal.userId === 'gone') as Principal;
    for (const event of publishAll(newHub(), sampleMessages(LIB, 'gone'))) {
      expect(canReceive(gone, event)).toBe(false);
    }
  });

  it('grants are read live: a revoke or a grant changes the very next answer', () => {
    const [event] = publishAll(newHub(), sampleMessages(LIB, 'x').slice(2, 3));
    const stranger = access.principalFor('stranger') as Principal;
    expect(canReceive(stranger, event)).toBe(false);
    access.setGrant(LIB, 'stranger', 'read');
    expect(canReceive(stranger, event)).toBe(true);
    expect(recipientsOf(event, access).has('stranger')).toBe(true);
    access.setGrant(LIB, 'stranger', 'none');
    expect(canReceive(stranger, event)).toBe(false);
    expect(recipientsOf(event, access).has('stranger')).toBe(false);
  });

  it('the library filter passes events without a library and the libraries asked for', () => {
    expect(passesLibraryFilter(null, LIB)).toBe(true);
    expect(passesLibraryFilter(null, undefined)).toBe(true);
    expect(passesLibraryFilter(new Set([LIB]), undefined)).toBe(true);
    expect(passesLibraryFilter(new Set([LIB]), LIB)).toBe(true);
    expect(passesLibraryFilter(new Set([LIB]), OTHER_LIB)).toBe(false);
  });

  it('canReceive and forEachRecipient agree with each other and with the table, for any state', () => {
    const libraries = [LIB, OTHER_LIB, 'lib-3'];
    const role = fc.constantFrom<LibraryRole>('none', 'read', 'write', 'admin');
    const user = fc.record({
      serverRole: fc.constantFrom<ServerRole>('admin', 'user'),
      roles: fc.tuple(role, role, role),
      removed: fc.boolean(),
    });
    const event = fc.record({
      kind: fc.integer({ min: 0, max: 13 }),
      library: fc.constantFrom<string | null>(null, ...libraries),
      owner: fc.integer({ min: 0, max: 6 }),
    });
    fc.assert(
      fc.property(
        fc.array(user, { minLength: 1, maxLength: 6 }),
        fc.array(event),
        (users, events) => {
          const ids = users.map((_, index) => `u${index}`);
          const state = accessWith(
            users.map((u, index) => ({ id: ids[index], role: u.serverRole })),
            users.flatMap((u, index) =>
              u.roles.flatMap((r, lib): [string, string, GrantedRole][] =>
                r === 'none' ? [] : [[libraries[lib], ids[index], r]],
              ),
            ),
          );
          const everyone = ids.map((id) => state.principalFor(id) as Principal);
          for (const [index, u] of users.entries()) if (u.removed) state.removeAccount(ids[index]);
          const hub = newHub();
          for (const { kind, library, owner } of events) {
            const [name, message] = sampleMessages(library, `u${owner}`)[kind];
            const published = hub.publish(name, message as EventMap[typeof name]);
            const recipients = expectAgreement(published, state, everyone);
            const oracle = users.flatMap((u, index): [string, Received][] => {
              if (u.removed) return [];
              const libIndex = libraries.indexOf(library ?? LIB);
              const roleHere: LibraryRole = u.serverRole === 'admin' ? 'admin' : u.roles[libIndex];
              const reads = roleHere !== 'none';
              const administers = roleHere === 'admin';
              const rule: Record<EventName, boolean> = {
                library: reads,
                'library-status': administers,
                medias: reads,
                upload_progress: reads,
                convert_progress: reads,
                episodes: reads,
                series: reads,
                movies: reads,
                people: reads,
                tags: reads,
                backups: library === null ? u.serverRole === 'admin' : administers,
                'backups-files': u.serverRole === 'admin',
                media_progress: ids[index] === `u${owner}`,
                media_rating: ids[index] === `u${owner}`,
              };
              if (!rule[name]) return [];
              return [[ids[index], name === 'library' && !administers ? 'reader' : 'full']];
            });
            const got = Object.fromEntries(
              [...recipients].map(([id, variant]) => [
                id,
                variant === published.full ? 'full' : 'reader',
              ]),
            );
            expect(got).toEqual(Object.fromEntries(oracle));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
