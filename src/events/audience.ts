import type { StreamAccess } from './events.ports.js';
import type { StreamPrincipal } from './events.ports.js';
import { type LibraryRole, roleAtLeast } from '../access/roles.js';
import type { ReplayResult } from './event-history.js';
import type { AudienceFacts, EventVariant, PublishedEvent } from './published-event.js';

/** The library filter a connection asked for: null passes every event. */
export type LibraryFilter = ReadonlySet<string> | null;

/** Whether the principal may receive the event now, by the rules of docs/permissions.md. */
export function canReceive(principal: StreamPrincipal, event: AudienceFacts): boolean {
  const { library } = event;
  switch (event.audience) {
    case 'library-readers':
      return library !== undefined && principal.canRead(library);
    case 'library-admins':
      return library !== undefined && principal.isLibraryAdmin(library);
    case 'library-admins-else-server-admins':
      return library === undefined ? principal.isServerAdmin() : principal.isLibraryAdmin(library);
    case 'server-admins':
      return principal.isServerAdmin();
    case 'owner':
      return principal.active && principal.userId === event.owner;
  }
}

/** Events with no library pass every filter; the others pass when their library was asked for. */
export function passesLibraryFilter(filter: LibraryFilter, library: string | undefined): boolean {
  return filter === null || library === undefined || filter.has(library);
}

/** The wire form a receiver gets: the full one for the library's admins, else the reader view. */
export function variantFor(event: PublishedEvent, isLibraryAdmin: boolean): EventVariant {
  return isLibraryAdmin ? event.full : event.forReaders;
}

/** Whether a receiver of this event is admin of its library (decides the variant). */
export function receiverIsLibraryAdmin(principal: StreamPrincipal, event: PublishedEvent): boolean {
  return (
    event.full === event.forReaders ||
    (event.library !== undefined && principal.isLibraryAdmin(event.library))
  );
}

/** Calls `visit` once for each user who may receive the event, with whether they get the full variant. */
export function forEachRecipient(
  event: PublishedEvent,
  access: StreamAccess,
  visit: (userId: string, variant: EventVariant) => void,
): void {
  const { library } = event;
  switch (event.audience) {
    case 'library-readers':
      if (library !== undefined) visitLibrary(event, library, 'read', access, visit);
      return;
    case 'library-admins':
      if (library !== undefined) visitLibrary(event, library, 'admin', access, visit);
      return;
    case 'library-admins-else-server-admins':
      if (library !== undefined) visitLibrary(event, library, 'admin', access, visit);
      else for (const id of access.serverAdminIds()) visit(id, event.full);
      return;
    case 'server-admins':
      for (const id of access.serverAdminIds()) visit(id, event.full);
      return;
    case 'owner':
      if (event.owner !== undefined && access.hasAccount(event.owner))
        visit(event.owner, event.full);
      return;
  }
}

function visitLibrary(
  event: PublishedEvent,
  library: string,
  minimum: LibraryRole,
  access: StreamAccess,
  visit: (userId: string, variant: EventVariant) => void,
): void {
  const admins = access.serverAdminIds();
  for (const id of admins) visit(id, event.full);
  for (const [id, role] of access.libraryMembers(library)) {
    if (!admins.has(id) && roleAtLeast(role, minimum))
      visit(id, variantFor(event, role === 'admin'));
  }
}

export interface MissedEvents {
  /** Set when the history cannot tell what came after the resume point. */
  resyncReason?: string;
  /** The events after it that the principal may receive now, oldest first, as they get them. */
  events: { event: PublishedEvent; variant: EventVariant }[];
}

/** What a client resuming after `lastEventId` missed and may see now, from the history's answer. */
export function missedEvents(
  replay: ReplayResult,
  lastEventId: number,
  principal: StreamPrincipal,
  filter: LibraryFilter,
): MissedEvents {
  const events = replay.events
    .filter((event) => passesLibraryFilter(filter, event.library) && canReceive(principal, event))
    .map((event) => ({
      event,
      variant: variantFor(event, receiverIsLibraryAdmin(principal, event)),
    }));
  return replay.complete
    ? { events }
    : {
        resyncReason: `events after ${lastEventId} are no longer available; reload your state`,
        events,
      };
}
