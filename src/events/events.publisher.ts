import { Injectable } from '@nestjs/common';
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
  constructor(private readonly bus: EventBus) {}

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
    this.bus.publish('library', { action, library: withoutSecrets(library) });
  }

  libraryStatus(library: string, message: string, progress?: number): void {
    this.bus.publish(
      'library-status',
      progress === undefined ? { message, library } : { message, library, progress },
    );
  }

  medias(library: string, medias: MediaWithAction[]): void {
    this.bus.publish('medias', { library, medias });
  }

  uploadProgress(progress: UploadProgressMessage): void {
    this.bus.publish('upload_progress', progress);
  }

  convertProgress(progress: ConvertMessage): void {
    this.bus.publish('convert_progress', progress);
  }

  episodes(library: string, episodes: EpisodeWithAction[]): void {
    this.bus.publish('episodes', { library, episodes });
  }

  series(library: string, series: SerieWithAction[]): void {
    this.bus.publish('series', { library, series });
  }

  movies(library: string, movies: MovieWithAction[]): void {
    this.bus.publish('movies', { library, movies });
  }

  people(library: string, people: PersonWithAction[]): void {
    this.bus.publish('people', { library, people });
  }

  tags(library: string, tags: TagWithAction[]): void {
    this.bus.publish('tags', { library, tags });
  }

  backups(backup: BackupWithStatus): void {
    this.bus.publish('backups', { backup });
  }

  backupsFiles(progress: BackupFileProgress): void {
    this.bus.publish('backups-files', progress);
  }

  mediaProgress(library: string, progress: MediaProgress): void {
    this.bus.publish('media_progress', { library, progress });
  }

  mediaRating(library: string, rating: MediaRating): void {
    this.bus.publish('media_rating', { library, rating });
  }
}
