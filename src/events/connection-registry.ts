import type { StreamAccess } from './events.ports.js';
import type { StreamPrincipal } from './events.ports.js';
import { forEachRecipient, type LibraryFilter, passesLibraryFilter } from './audience.js';
import type { EventVariant, PublishedEvent } from './published-event.js';

/** What the registry needs to know of a transport's connection. */
export interface EventConnection {
  readonly principal: StreamPrincipal;
  readonly filter: LibraryFilter;
  /** When the token that opened it expires (epoch ms): no event reaches it from then on. */
  readonly expiresAt: number;
  readonly pendingBytes: number;
  readonly pendingEvents: number;
}

export interface ConnectionStats {
  connections: number;
  queuedBytes: number;
  queuedEvents: number;
}

/**
 * The open connections of one transport, grouped by user, so that an event's audience is
 * decided once per event (by user, from the live grants) rather than once per connection.
 */
export class ConnectionRegistry<C extends EventConnection> implements Iterable<C> {
  private readonly byUser = new Map<string, Set<C>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(connection: C): void {
    const userId = connection.principal.userId;
    let connections = this.byUser.get(userId);
    if (connections === undefined) this.byUser.set(userId, (connections = new Set()));
    connections.add(connection);
    this.count++;
  }

  delete(connection: C): void {
    const userId = connection.principal.userId;
    const connections = this.byUser.get(userId);
    if (!connections?.delete(connection)) return;
    this.count--;
    if (connections.size === 0) this.byUser.delete(userId);
  }

  ofUser(userId: string): Iterable<C> {
    return this.byUser.get(userId) ?? [];
  }

  *[Symbol.iterator](): Iterator<C> {
    for (const connections of this.byUser.values()) yield* connections;
  }

  get stats(): ConnectionStats {
    let queuedBytes = 0;
    let queuedEvents = 0;
    for (const connection of this) {
      queuedBytes += connection.pendingBytes;
      queuedEvents += connection.pendingEvents;
    }
    return { connections: this.count, queuedBytes, queuedEvents };
  }

  /**
   * Calls `deliver` for each connection that may receive the event and whose filter passes it. A
   * connection whose token has expired gets nothing, even before its transport's sweep ends it.
   */
  forEachReceiver(
    event: PublishedEvent,
    access: StreamAccess,
    deliver: (connection: C, variant: EventVariant) => void,
  ): void {
    if (this.count === 0) return;
    const now = Date.now();
    forEachRecipient(event, access, (userId, variant) => {
      const connections = this.byUser.get(userId);
      if (connections === undefined) return;
      for (const connection of connections) {
        if (connection.expiresAt > now && passesLibraryFilter(connection.filter, event.library)) {
          deliver(connection, variant);
        }
      }
    });
  }
}
