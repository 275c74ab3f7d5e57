import { Inject, Injectable } from '@nestjs/common';
import type { EventCatalog, EventMap, EventName, MessageOf } from './event-catalog.js';
import { EVENTS_CATALOG } from './events.options.js';
import type {
  BackupFileProgress,
  BackupWithStatus,
  ConvertMessage,
  ElementAction,
  EpisodeWithAction,
  MediaProgress,
  MediaRating,
  MediaWithAction,
  MovieWithAction,
  PersonWithAction,
  SerieWithAction,
  ServerLibrary,
  TagWithAction,
  UploadProgressMessage,
} from './events.types.js';
import { EventCounters } from './event-counters.js';
import { type BusHealth, EventBus } from './log/event-bus.js';

/** Whatever a caller hands in (a stored record, say), a library's secrets never leave in an event. */
function withoutSecrets(library: ServerLibrary): ServerLibrary {
  const {
    credentials: _credentials,
    password: _password,
    ...visible
  } = library as ServerLibrary & { credentials?: unknown; password?: unknown };
  return visible;
}

/**
 * The only door of the events module for domain code. Call it after the change is committed:
 * an event tells clients what is already true.
 */
@Injectable()
export class EventsPublisher {
  constructor(
    private readonly bus: EventBus,
    @Inject(EVENTS_CATALOG) private readonly catalog: EventCatalog,
    private readonly counters: EventCounters,
  ) {}

  /**
   * Publishes an event of a host's own catalog (one that extends Reelay's, given to
   * `EventsModule.forRoot`): `publishIn(HOST_EVENTS, 'note', message)`, its message checked
   * against that catalog's row.
   */
  publishIn<C extends EventCatalog, N extends keyof C & string>(
    catalog: C,
    name: N,
    message: MessageOf<C[N]>,
  ): void {
    if (this.catalog[name] !== catalog[name]) {
      throw new Error(`${name} is not an event type of the catalog this module delivers`);
    }
    this.bus.publish(name, message);
    this.counters.published(name);
  }

  /** Reelay's own event types, each checked against its catalog row. */
  private send<N extends EventName>(name: N, message: EventMap[N]): void {
    this.bus.publish(name, message);
    this.counters.published(name);
  }

  /**
   * Resolves once the events this process published so far went out here too (at most
   * `timeoutMs` later): for a change that must follow its own event, such as grants removed
   * after the event that tells their holders.
   */
  delivered(timeoutMs = 1000): Promise<void> {
    return this.bus.delivered(timeoutMs);
  }

  /** Whether events can go out now: for the readiness check. */
  health(): BusHealth {
    return this.bus.health();
  }

  library(action: ElementAction, library: ServerLibrary): void {
    this.send('library', { action, library: withoutSecrets(library) });
  }

  libraryStatus(library: string, message: string, progress?: number): void {
    this.send(
      'library-status',
      progress === undefined ? { message, library } : { message, library, progress },
    );
  }

  medias(library: string, medias: MediaWithAction[]): void {
    this.send('medias', { library, medias });
  }

  uploadProgress(progress: UploadProgressMessage): void {
    this.send('upload_progress', progress);
  }

  convertProgress(progress: ConvertMessage): void {
    this.send('convert_progress', progress);
  }

  episodes(library: string, episodes: EpisodeWithAction[]): void {
    this.send('episodes', { library, episodes });
  }

  series(library: string, series: SerieWithAction[]): void {
    this.send('series', { library, series });
  }

  movies(library: string, movies: MovieWithAction[]): void {
    this.send('movies', { library, movies });
  }

  people(library: string, people: PersonWithAction[]): void {
    this.send('people', { library, people });
  }

  tags(library: string, tags: TagWithAction[]): void {
    this.send('tags', { library, tags });
  }

  backups(backup: BackupWithStatus): void {
    this.send('backups', { backup });
  }

  backupsFiles(progress: BackupFileProgress): void {
    this.send('backups-files', progress);
  }

  mediaProgress(library: string, progress: MediaProgress): void {
    this.send('media_progress', { library, progress });
  }

  mediaRating(library: string, rating: MediaRating): void {
    this.send('media_rating', { library, rating });
  }
}
