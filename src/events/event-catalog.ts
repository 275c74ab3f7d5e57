import type {
  BackupFileProgress,
  BackupMessage,
  ConvertMessage,
  EpisodesMessage,
  LaggedEvent,
  LibraryMessage,
  LibraryStatusMessage,
  MediasMessage,
  MediasProgressMessage,
  MediasRatingMessage,
  MoviesMessage,
  PeopleMessage,
  ResyncEvent,
  SeriesMessage,
  ServerLibrary,
  TagMessage,
  UploadProgressMessage,
} from './events.types.js';

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

/** Carries a row's message type, which exists in the types only. */
declare const MESSAGE: unique symbol;

/**
 * One event type: the PascalCase key that wraps its message in `data`, who may receive it, and
 * what the audience rule reads in the message. Built with `defineEvent`, which records the
 * message type `M` for the types derived from the catalog.
 */
export interface EventDefinition<M = unknown, K extends string = string> {
  readonly key: K;
  readonly audience: AudienceRule;
  /** The library the event belongs to, for the audience rule and the `libraries` filter. */
  library(message: M): string | null | undefined;
  /** The only user who may receive it, for the `owner` rule. */
  owner?(message: M): string;
  /** The message as a reader who is not the library's admin may see it. */
  forReaders?(message: M): M;
  /** Never set: the message type, for `MessageOf`. */
  readonly [MESSAGE]?: M;
}

/**
 * A catalog row for messages of type `M`: `defineEvent<MediasMessage>()({ key: 'Medias', ... })`.
 * The key is kept as its literal type, so the wrapper of each event is known to the compiler.
 */
export function defineEvent<M>() {
  return <const K extends string>(definition: EventDefinition<M, K>): EventDefinition<M, K> =>
    definition;
}

/** Event name -> its row: Reelay's catalog, or a host's that extends it. */
export type EventCatalog = Readonly<Record<string, EventDefinition>>;

export type MessageOf<D> = D extends { readonly [MESSAGE]?: infer M } ? M : never;
export type KeyOf<D> = D extends EventDefinition<unknown, infer K> ? K : never;
/** Event name -> message. */
export type MessagesOf<C extends EventCatalog> = { [N in keyof C]: MessageOf<C[N]> };
/** Event name -> its `data`: the message wrapped in its key. */
export type WrappedOf<C extends EventCatalog> = {
  [N in keyof C]: { [K in KeyOf<C[N]>]: MessageOf<C[N]> };
};

const byLibraryField = (message: { library?: string | null }): string | null | undefined =>
  message.library;

function withoutAdminFields({
  root: _root,
  settings: _settings,
  ...visible
}: ServerLibrary): ServerLibrary {
  return visible;
}

/**
 * Every event type of the API, one row each: adding an event type is adding a row here, with the
 * type of its message; every name, key and message type elsewhere derives from this catalog.
 */
export const EVENT_CATALOG = {
  library: defineEvent<LibraryMessage>()({
    key: 'Library',
    audience: 'library-readers',
    library: (message) => message.library.id,
    forReaders: (message) => ({ ...message, library: withoutAdminFields(message.library) }),
  }),
  'library-status': defineEvent<LibraryStatusMessage>()({
    key: 'LibraryStatus',
    audience: 'library-admins',
    library: byLibraryField,
  }),
  medias: defineEvent<MediasMessage>()({
    key: 'Medias',
    audience: 'library-readers',
    library: byLibraryField,
  }),
  upload_progress: defineEvent<UploadProgressMessage>()({
    key: 'UploadProgress',
    audience: 'library-readers',
    library: byLibraryField,
  }),
  convert_progress: defineEvent<ConvertMessage>()({
    key: 'ConvertProgress',
    audience: 'library-readers',
    library: byLibraryField,
  }),
  episodes: defineEvent<EpisodesMessage>()({
    key: 'Episodes',
    audience: 'library-readers',
    library: byLibraryField,
  }),
  series: defineEvent<SeriesMessage>()({
    key: 'Series',
    audience: 'library-readers',
    library: byLibraryField,
  }),
  movies: defineEvent<MoviesMessage>()({
    key: 'Movies',
    audience: 'library-readers',
    library: byLibraryField,
  }),
  people: defineEvent<PeopleMessage>()({
    key: 'People',
    audience: 'library-readers',
    library: byLibraryField,
  }),
  tags: defineEvent<TagMessage>()({
    key: 'Tags',
    audience: 'library-readers',
    library: byLibraryField,
  }),
  backups: defineEvent<BackupMessage>()({
    key: 'Backups',
    audience: 'library-admins-else-server-admins',
    library: (message) => message.backup.library,
  }),
  'backups-files': defineEvent<BackupFileProgress>()({
    key: 'BackupsFiles',
    audience: 'server-admins',
    library: byLibraryField,
  }),
  media_progress: defineEvent<MediasProgressMessage>()({
    key: 'MediaProgress',
    audience: 'owner',
    library: byLibraryField,
    owner: (message) => message.progress.userRef,
  }),
  media_rating: defineEvent<MediasRatingMessage>()({
    key: 'MediaRating',
    audience: 'owner',
    library: byLibraryField,
    owner: (message) => message.rating.userRef,
  }),
} satisfies EventCatalog;

export type ReelayCatalog = typeof EVENT_CATALOG;
export type EventName = keyof ReelayCatalog;
/** Event name -> message, for every event type of the API. */
export type EventMap = MessagesOf<ReelayCatalog>;
/** The `data` of each event: the message wrapped in its PascalCase key. */
export type SseEvent = WrappedOf<ReelayCatalog>[EventName];
/** Every event name a connection can receive. */
export type StreamEventName = EventName | 'lagged' | 'resync';
/** The `data` of each event name, as both transports deliver it. */
export type StreamEventData = WrappedOf<ReelayCatalog> & {
  lagged: LaggedEvent;
  resync: ResyncEvent;
};
/** The Socket.IO events a client listens to, e.g. `io(url) as Socket<SocketServerEvents>`. */
export type SocketServerEvents = {
  [N in EventName]: (data: StreamEventData[N], id: number) => void;
} & {
  lagged: (data: LaggedEvent) => void;
  resync: (data: ResyncEvent) => void;
};

export const EVENT_NAMES = Object.keys(EVENT_CATALOG) as EventName[];
