/**
 * The event messages of Reelay's real-time API (GET /sse and Socket.IO; README, "The event
 * API"); the names, wrapper keys and maps derive from the catalog
 * (event-catalog.ts, whose types clients may import as types). This file has no runtime
 * dependencies.
 * Timestamps are epoch milliseconds.
 *
 * Both transports carry the same events under the same names. On SSE an event is
 * `event: <name>`, `id: <id>` and `data: <JSON>`. On Socket.IO (path `/socket.io`) it is
 * `emit(name, data, id)`: a handler `(data, id) => …` gets that same JSON parsed (the message
 * wrapped in its key, e.g. `{ Medias: {...} }`) and the id as a number, so one handler serves
 * both. `lagged` and `resync` have no id on either. To resume, send the last id seen: the
 * `Last-Event-ID` header on SSE, `auth.lastEventId` on Socket.IO.
 */

export type ElementAction = 'Deleted' | 'Added' | 'Updated';

export const LIBRARY_TYPES = ['photos', 'shows', 'movies', 'iptv', 'books', 'other'] as const;
export type LibraryType = (typeof LIBRARY_TYPES)[number];

export interface ServerLibrary {
  id: string;
  name: string;
  type: LibraryType;
  /** Only for the library's admins. */
  root?: string | null;
  /** Only for the library's admins. */
  settings?: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface LibraryMessage {
  action: ElementAction;
  library: ServerLibrary;
}

export interface LibraryStatusMessage {
  message: string;
  library: string;
  progress?: number;
}

export interface Media {
  id: string;
  library: string;
  name: string;
  mimetype: string;
  size: number;
  /** The file's modification time. */
  modified: number;
  added: number;
  updated: number;
  /** Where it came from: a scan of the library root, an upload, a conversion or metadata alone. */
  origin: 'scan' | 'upload' | 'conversion' | 'metadata';
  description?: string | null;
  rating?: number | null;
  durationMs?: number | null;
  width?: number | null;
  height?: number | null;
  /** Whether the media has a file to stream (`GET .../medias/:id/file`). */
  hasFile?: boolean;
  [extra: string]: unknown;
}

export interface MediaWithAction {
  action: ElementAction;
  media: Media;
}

export interface MediasMessage {
  library: string;
  medias: MediaWithAction[];
}

export interface UploadProgressMessage {
  library: string;
  mediaId: string;
  progress: number;
  name?: string;
  receivedBytes?: number;
  totalBytes?: number | null;
  /** `failed` when the upload was refused or the client went away: nothing was kept. */
  status?: 'uploading' | 'completed' | 'failed';
  [extra: string]: unknown;
}

export interface ConvertMessage {
  library: string;
  mediaId: string;
  progress: number;
  /** `queued`, `processing`, `completed`, `failed` or `canceled`. */
  status: string;
  /** The media the conversion produced, once `completed`. */
  outputMediaId?: string;
  /** Why it `failed`. */
  error?: string;
  [extra: string]: unknown;
}

export interface Serie {
  id: string;
  library: string;
  name: string;
  [extra: string]: unknown;
}

export interface Episode {
  id: string;
  library: string;
  serie: string;
  name: string;
  season?: number | null;
  number?: number | null;
  [extra: string]: unknown;
}

export interface Movie {
  id: string;
  library: string;
  name: string;
  [extra: string]: unknown;
}

export interface Person {
  id: string;
  library: string;
  name: string;
  [extra: string]: unknown;
}

export interface Tag {
  id: string;
  library: string;
  name: string;
  [extra: string]: unknown;
}

export interface EpisodeWithAction {
  action: ElementAction;
  episode: Episode;
}

export interface SerieWithAction {
  action: ElementAction;
  serie: Serie;
}

export interface MovieWithAction {
  action: ElementAction;
  movie: Movie;
}

export interface PersonWithAction {
  action: ElementAction;
  person: Person;
}

export interface TagWithAction {
  action: ElementAction;
  tag: Tag;
}

export interface EpisodesMessage {
  library: string;
  episodes: EpisodeWithAction[];
}

export interface SeriesMessage {
  library: string;
  series: SerieWithAction[];
}

export interface MoviesMessage {
  library: string;
  movies: MovieWithAction[];
}

export interface PeopleMessage {
  library: string;
  people: PersonWithAction[];
}

export interface TagMessage {
  library: string;
  tags: TagWithAction[];
}

export type BackupStatus = 'idle' | 'inProgress' | 'done' | 'error';

export interface BackupWithStatus {
  id: string;
  name: string;
  /** Absent for a server-wide backup. */
  library?: string | null;
  status: BackupStatus;
  [extra: string]: unknown;
}

export interface BackupMessage {
  backup: BackupWithStatus;
}

export interface BackupFileProgress {
  library?: string;
  file: string;
  progress: number;
  [extra: string]: unknown;
}

export interface MediaProgress {
  userRef: string;
  mediaRef: string;
  progress: number;
  modified: number;
}

export interface MediasProgressMessage {
  library: string;
  progress: MediaProgress;
}

export interface MediaRating {
  userRef: string;
  mediaRef: string;
  rating: number;
  modified: number;
}

export interface MediasRatingMessage {
  library: string;
  rating: MediaRating;
}

/** Sent (without an id) when events were skipped for a connection that fell behind. */
export interface LaggedEvent {
  Lagged: { skipped: number };
}

/** Sent first on a resume whose point the history no longer holds: reload, then go on. */
export interface ResyncEvent {
  Resync: { reason: string };
}
