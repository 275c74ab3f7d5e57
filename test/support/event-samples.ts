import type { EventsPublisher } from '../../src/events/events.publisher.js';
import type { EventMap, EventName, KeyOf, ReelayCatalog } from '../../src/events/event-catalog.js';
import type { ServerLibrary } from '../../src/events/events.types.js';

/**
 * The 14 event names of the event API (README, "The event API"), with the key that wraps each
 * message in `data`, written from it: a catalog row whose key differs does not compile.
 */
export const WRAPPER_KEYS: { [N in EventName]: KeyOf<ReelayCatalog[N]> } = {
  library: 'Library',
  'library-status': 'LibraryStatus',
  medias: 'Medias',
  upload_progress: 'UploadProgress',
  convert_progress: 'ConvertProgress',
  episodes: 'Episodes',
  series: 'Series',
  movies: 'Movies',
  people: 'People',
  tags: 'Tags',
  backups: 'Backups',
  'backups-files': 'BackupsFiles',
  media_progress: 'MediaProgress',
  media_rating: 'MediaRating',
};

export const EVENT_NAMES = Object.keys(WRAPPER_KEYS) as EventName[];

export interface SampleFacts {
  /** The event's library; null makes backups and backups-files server-wide. */
  library: string | null;
  /** The user named by media_progress / media_rating. */
  userRef: string;
  /** Makes each sample distinct (and, for large ones, sets the size of a text field). */
  tag: number;
  padding?: number;
}

export function sampleLibrary(id: string, tag: number): ServerLibrary {
  return {
    id,
    name: `library ${tag}`,
    type: 'photos',
    root: `/srv/media/${tag}`,
    settings: { watch: true, tag },
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000 + tag,
  };
}

/** A message of each type, built the way the publisher's typed method builds it. */
export function sampleMessage<N extends EventName>(name: N, facts: SampleFacts): EventMap[N] {
  const { userRef, tag } = facts;
  const library = facts.library ?? 'no-library';
  const text = 'p'.repeat(facts.padding ?? 0);
  const item = { id: `item-${tag}`, library, name: `item ${tag}${text}` };
  const messages: { [K in EventName]: () => EventMap[K] } = {
    library: () => ({ action: 'Updated', library: sampleLibrary(library, tag) }),
    'library-status': () => ({ message: `scanning ${tag}${text}`, library, progress: tag % 100 }),
    medias: () => ({
      library,
      medias: [
        {
          action: 'Added',
          media: {
            ...item,
            mimetype: 'video/mp4',
            size: 10,
            modified: 1,
            added: 2,
            updated: 3,
            origin: 'scan',
          },
        },
      ],
    }),
    upload_progress: () => ({ library, mediaId: `media-${tag}`, progress: tag, name: text }),
    convert_progress: () => ({ library, mediaId: `media-${tag}`, progress: tag, status: text }),
    episodes: () => ({
      library,
      episodes: [{ action: 'Added', episode: { ...item, serie: 'serie-1', season: 1, number: 2 } }],
    }),
    series: () => ({ library, series: [{ action: 'Updated', serie: item }] }),
    movies: () => ({ library, movies: [{ action: 'Deleted', movie: item }] }),
    people: () => ({ library, people: [{ action: 'Added', person: item }] }),
    tags: () => ({ library, tags: [{ action: 'Added', tag: item }] }),
    backups: () => ({
      backup: {
        id: `backup-${tag}`,
        name: `nightly${text}`,
        library: facts.library,
        status: 'done',
      },
    }),
    'backups-files': () =>
      facts.library === null
        ? { file: `file-${tag}${text}`, progress: tag }
        : { library: facts.library, file: `file-${tag}${text}`, progress: tag },
    media_progress: () => ({
      library,
      progress: { userRef, mediaRef: `media-${tag}`, progress: tag, modified: tag },
    }),
    media_rating: () => ({
      library,
      rating: { userRef, mediaRef: `media-${tag}`, rating: tag % 6, modified: tag },
    }),
  };
  return messages[name]();
}

/** Publishes a message through the typed method of the publisher that domain code would call. */
export function publishMessage<N extends EventName>(
  publisher: EventsPublisher,
  name: N,
  message: EventMap[N],
): void {
  const m: EventMap[EventName] = message;
  switch (name) {
    case 'library': {
      const { action, library } = m as EventMap['library'];
      return publisher.library(action, library);
    }
    case 'library-status': {
      const { library, message: text, progress } = m as EventMap['library-status'];
      return publisher.libraryStatus(library, text, progress);
    }
    case 'medias': {
      const { library, medias } = m as EventMap['medias'];
      return publisher.medias(library, medias);
    }
    case 'upload_progress':
      return publisher.uploadProgress(m as EventMap['upload_progress']);
    case 'convert_progress':
      return publisher.convertProgress(m as EventMap['convert_progress']);
    case 'episodes': {
      const { library, episodes } = m as EventMap['episodes'];
      return publisher.episodes(library, episodes);
    }
    case 'series': {
      const { library, series } = m as EventMap['series'];
      return publisher.series(library, series);
    }
    case 'movies': {
      const { library, movies } = m as EventMap['movies'];
      return publisher.movies(library, movies);
    }
    case 'people': {
      const { library, people } = m as EventMap['people'];
      return publisher.people(library, people);
    }
    case 'tags': {
      const { library, tags } = m as EventMap['tags'];
      return publisher.tags(library, tags);
    }
    case 'backups':
      return publisher.backups((m as EventMap['backups']).backup);
    case 'backups-files':
      return publisher.backupsFiles(m as EventMap['backups-files']);
    case 'media_progress': {
      const { library, progress } = m as EventMap['media_progress'];
      return publisher.mediaProgress(library, progress);
    }
    case 'media_rating': {
      const { library, rating } = m as EventMap['media_rating'];
      return publisher.mediaRating(library, rating);
    }
    default: {
      // A new event type must be published here too: this stops compiling until it is.
      const unhandled: never = name;
      throw new Error(`no publisher method for ${String(unhandled)}`);
    }
  }
}

/** The `data` a receiver should get: the message wrapped, minus admin-only library fields. */
export function expectedData(name: EventName, message: unknown, asLibraryAdmin: boolean): unknown {
  if (name === 'library' && !asLibraryAdmin) {
    const { library } = message as EventMap['library'];
    const { root: _root, settings: _settings, ...visible } = library;
    return { [WRAPPER_KEYS[name]]: { ...(message as object), library: visible } };
  }
  return { [WRAPPER_KEYS[name]]: message };
}
