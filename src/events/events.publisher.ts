import { Injectable } from '@nestjs/common';
import { EventHub } from './event-hub.js';
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
  constructor(private readonly hub: EventHub) {}

  library(action: ElementAction, library: ServerLibrary): void {
    this.hub.publish('library', { action, library: withoutSecrets(library) });
  }

  libraryStatus(library: string, message: string, progress?: number): void {
    this.hub.publish(
      'library-status',
      progress === undefined ? { message, library } : { message, library, progress },
    );
  }

  medias(library: string, medias: MediaWithAction[]): void {
    this.hub.publish('medias', { library, medias });
  }

  uploadProgress(progress: UploadProgressMessage): void {
    this.hub.publish('upload_progress', progress);
  }

  convertProgress(progress: ConvertMessage): void {
    this.hub.publish('convert_progress', progress);
  }

  episodes(library: string, episodes: EpisodeWithAction[]): void {
    this.hub.publish('episodes', { library, episodes });
  }

  series(library: string, series: SerieWithAction[]): void {
    this.hub.publish('series', { library, series });
  }

  movies(library: string, movies: MovieWithAction[]): void {
    this.hub.publish('movies', { library, movies });
  }

  people(library: string, people: PersonWithAction[]): void {
    this.hub.publish('people', { library, people });
  }

  tags(library: string, tags: TagWithAction[]): void {
    this.hub.publish('tags', { library, tags });
  }

  backups(backup: BackupWithStatus): void {
    this.hub.publish('backups', { backup });
  }

  backupsFiles(progress: BackupFileProgress): void {
    this.hub.publish('backups-files', progress);
  }

  mediaProgress(library: string, progress: MediaProgress): void {
    this.hub.publish('media_progress', { library, progress });
  }

  mediaRating(library: string, rating: MediaRating): void {
    this.hub.publish('media_rating', { library, rating });
  }
}
