import type { AccessRepository } from '../access/access.repository.js';
import { AccessService } from '../access/access.service.js';
import { eventsOptionsOf, loadAppConfig } from '../config/app-config.js';
import type { LibraryFilter } from './audience.js';
import { ConnectionRegistry, type EventConnection } from './connection-registry.js';
import { publishingHub } from './log/volatile-event-store.js';

function accessWith(): AccessService {
  const access = new AccessService({} as AccessRepository, loadAppConfig({}));
  access.addAccount({ id: 'admin', username: 'admin', role: 'admin' });
  access.addAccount({ id: 'reader', username: 'reader', role: 'user' });
  access.addAccount({ id: 'stranger', username: 'stranger', role: 'user' });
  access.setGrant('lib-1', 'reader', 'read');
  return access;
}

function connectionOf(
  access: AccessService,
  userId: string,
  filter: LibraryFilter = null,
  expiresAt = Number.MAX_SAFE_INTEGER,
) {
  const principal = access.principalFor(userId);
  if (!principal) throw new Error(`no account ${userId}`);
  const connection: EventConnection & { name: string } = {
    name: `${userId}${filter ? `:${[...filter].join(',')}` : ''}`,
    principal,
    filter,
    expiresAt,
    pendingBytes: 10,
    pendingEvents: 1,
  };
  return connection;
}

describe('ConnectionRegistry', () => {
  const access = accessWith();
  const hub = publishingHub(eventsOptionsOf(loadAppConfig({ SSE_HISTORY_SIZE: '0' })));

  it('counts, groups by user and forgets connections', () => {
    const registry = new ConnectionRegistry<ReturnType<typeof connectionOf>>();
    const first = connectionOf(access, 'reader');
    const second = connectionOf(access, 'reader');
    registry.add(first);
    registry.add(second);
    registry.add(connectionOf(access, 'admin'));
    expect(registry.size).toBe(3);
    expect([...registry.ofUser('reader')]).toEqual([first, second]);
    expect(registry.stats).toEqual({ connections: 3, queuedBytes: 30, queuedEvents: 3 });

    registry.delete(first);
    registry.delete(first);
    expect(registry.size).toBe(2);
    registry.delete(second);
    expect([...registry.ofUser('reader')]).toEqual([]);
    expect([...registry].map((connection) => connection.name)).toEqual(['admin']);
  });

  it('hands an event to each allowed connection whose filter passes it, with its variant', () => {
    const registry = new ConnectionRegistry<ReturnType<typeof connectionOf>>();
    for (const connection of [
      connectionOf(access, 'admin'),
      connectionOf(access, 'reader'),
      connectionOf(access, 'reader', new Set(['lib-2'])),
      connectionOf(access, 'stranger'),
    ]) {
      registry.add(connection);
    }
    const event = hub.publish('library', {
      action: 'Updated',
      library: {
        id: 'lib-1',
        name: 'L',
        type: 'photos',
        root: '/srv',
        settings: {},
        createdAt: 1,
        updatedAt: 2,
      },
    });
    const received: [string, string][] = [];
    registry.forEachReceiver(event, access, (connection, variant) => {
      received.push([connection.name, variant === event.full ? 'full' : 'reader']);
    });
    expect(received.sort(([a], [b]) => a.localeCompare(b))).toEqual([
      ['admin', 'full'],
      ['reader', 'reader'],
    ]);
  });

  it('hands nothing to a connection whose token has expired, not even before it is closed', () => {
    const registry = new ConnectionRegistry<ReturnType<typeof connectionOf>>();
    registry.add(connectionOf(access, 'admin', null, Date.now() - 1));
    registry.add(connectionOf(access, 'reader', null, Date.now() + 60_000));
    const event = hub.publish('tags', { library: 'lib-1', tags: [] });
    const received: string[] = [];
    registry.forEachReceiver(event, access, (connection) => received.push(connection.name));
    expect(received).toEqual(['reader']);
  });
});
