import type { EventMap, EventName, ServerLibrary, SseEvent } from './events.types.js';

/**
 * Who may receive an event (see docs/permissions.md):
 * - library-readers: at least `read` on the event's library;
 * - library-admins: `admin` of the event's library;
 * - library-admins-else-server-admins: `admin` of its library if it has one, else server admins;
 * - server-admins: server admins only;
 * - owner: only the user the message names, not even a server admin.
 * A server admin counts as admin of every library.
 */
export type AudienceRule =
  | 'library-readers'
  | 'library-admins'
  | 'library-admins-else-server-admins'
  | 'server-admins'
  | 'owner';

type WrapperKey<U = SseEvent> = U extends unknown ? keyof U : never;

export interface EventDefinition<M> {
  /** The PascalCase key that wraps the message in `data`. */
  key: WrapperKey;
  audience: AudienceRule;
  /** The library the event belongs to, for the audience rule and the `libraries` filter. */
  library: (message: M) => string | null | undefined;
  /** The only user who may receive it, for the `owner` rule. */
  owner?: (message: M) => string;
  /** The message as a reader who is not the library's admin may see it. */
  forReaders?: (message: M) => M;
}

type Catalog = { [N in EventName]: EventDefinition<EventMap[N]> };

const byLibraryField = (message: { library?: string | null }) => message.library;

function withoutAdminFields({
  root: _root,
  settings: _settings,
  ...visible
}: ServerLibrary): ServerLibrary {
  return visible;
}

/** Every event type of the API, one row each: adding an event type is adding a row here. */
export const EVENT_CATALOG: Catalog = {
  library: {
    key: 'Library',
    audience: 'library-readers',
    library: (message) => message.library.id,
    forReaders: (message) => ({ ...message, library: withoutAdminFields(message.library) }),
  },
  'library-status': { key: 'LibraryStatus', audience: 'library-admins', library: byLibraryField },
  medias: { key: 'Medias', audience: 'library-readers', library: byLibraryField },
  upload_progress: { key: 'UploadProgress', audience: 'library-readers', library: byLibraryField },
  convert_progress: {
    key: 'ConvertProgress',
    audience: 'library-readers',
    library: byLibraryField,
  },
  episodes: { key: 'Episodes', audience: 'library-readers', library: byLibraryField },
  series: { key: 'Series', audience: 'library-readers', library: byLibraryField },
  movies: { key: 'Movies', audience: 'library-readers', library: byLibraryField },
  people: { key: 'People', audience: 'library-readers', library: byLibraryField },
  tags: { key: 'Tags', audience: 'library-readers', library: byLibraryField },
  backups: {
    key: 'Backups',
    audience: 'library-admins-else-server-admins',
    library: (message) => message.backup.library,
  },
  'backups-files': { key: 'BackupsFiles', audience: 'server-admins', library: byLibraryField },
  media_progress: {
    key: 'MediaProgress',
    audience: 'owner',
    library: byLibraryField,
    owner: (message) => message.progress.userRef,
  },
  media_rating: {
    key: 'MediaRating',
    audience: 'owner',
    library: byLibraryField,
    owner: (message) => message.rating.userRef,
  },
};

export const EVENT_NAMES = Object.keys(EVENT_CATALOG) as EventName[];
