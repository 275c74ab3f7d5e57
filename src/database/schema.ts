/** Table shapes as stored in SQLite. Timestamps are epoch milliseconds. */
export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  role: 'admin' | 'user';
  created_at: number;
}

export interface LibrariesTable {
  id: string;
  name: string;
  type: string;
  root: string | null;
  settings: string;
  credentials: string | null;
  created_at: number;
  updated_at: number;
}

export interface LibraryUsersTable {
  library_id: string;
  user_id: string;
  role: 'read' | 'write' | 'admin';
}

export interface MediasTable {
  id: string;
  library_id: string;
  name: string;
  /** Absolute path of the file on the server; null for a media known by its metadata only. */
  path: string | null;
  mimetype: string;
  size: number;
  modified: number;
  added: number;
  updated: number;
  origin: 'scan' | 'upload' | 'conversion' | 'metadata';
  description: string | null;
  duration_ms: number | null;
  width: number | null;
  height: number | null;
}

/** The columns every catalog table shares. */
interface CatalogColumns {
  id: string;
  library_id: string;
  name: string;
  added: number;
  updated: number;
}

export interface SeriesTable extends CatalogColumns {
  overview: string | null;
  year: number | null;
}

export interface EpisodesTable extends CatalogColumns {
  serie_id: string;
  season: number | null;
  number: number | null;
  overview: string | null;
  media_id: string | null;
}

export interface MoviesTable extends CatalogColumns {
  overview: string | null;
  year: number | null;
  media_id: string | null;
}

export interface PeopleTable extends CatalogColumns {
  overview: string | null;
}

export type TagsTable = CatalogColumns;

/** A user's own values on a media; null until the user sets them. */
export interface MediaUserDataTable {
  user_id: string;
  media_id: string;
  progress: number | null;
  progress_modified: number | null;
  rating: number | null;
  rating_modified: number | null;
}

export interface BackupsTable {
  id: string;
  name: string;
  /** Null for a server-wide backup. */
  library_id: string | null;
  /** Relative to the backup directory. */
  path: string;
  schedule: string | null;
  /** Archives to keep; null for the server's BACKUP_KEEP. */
  keep: number | null;
  status: 'idle' | 'inProgress' | 'done' | 'error';
  added: number;
  updated: number;
  started: number | null;
  finished: number | null;
  /** The last archive written, relative to the backup directory. */
  archive: string | null;
  archive_size: number | null;
  files: number;
  files_done: number;
  files_missing: number;
  bytes: number;
  bytes_done: number;
  error: string | null;
}

/** An archive a run of the backup wrote and retention has not pruned yet. */
export interface BackupArchivesTable {
  backup_id: string;
  /** Relative to the backup directory. */
  path: string;
  size: number;
  started: number;
  finished: number;
}

/** One event of the embedded event log, as it went out. */
export interface EventLogTable {
  id: number;
  name: string;
  /** The wrapped message as one line of JSON, as the library's admins got it. */
  data: string;
  /** What readers who are not its admins got, when it differs. */
  reader_data: string | null;
  library: string | null;
  owner: string | null;
}

/**
 * One row: ids up to `reserved` may have been issued, those up to `stored` are in the log (or
 * were never kept, with SSE_HISTORY_SIZE 0). Equal after a clean stop.
 */
export interface EventLogStateTable {
  id: 1;
  reserved: number;
  stored: number;
}

/** A secret every process of a deployment shares; never copied into a backup. */
export interface ServerSecretsTable {
  name: string;
  value: string;
}

/** A stream ticket, by the SHA-256 of its text; gone once redeemed or expired (epoch ms). */
export interface StreamTicketsTable {
  hash: string;
  user_id: string;
  expires_at: number;
  /** When the token it was issued with expires: the stream it opens ends then. */
  token_expires_at: number;
  /** The session of that token; none for a token issued before sessions existed. */
  session_id: string | null;
}

/**
 * A login session (epoch ms), renewed by its refresh cookie `<id>.<secret>`: only SHA-256 hashes
 * of secrets are kept. Never copied into a backup.
 */
export interface SessionsTable {
  id: string;
  user_id: string;
  secret_hash: string;
  /** The secret the last refresh replaced, still honoured for a moment after `rotated_at`. */
  previous_hash: string | null;
  rotated_at: number;
  created_at: number;
  /** The login or the last refresh. */
  last_used_at: number;
  /** Unless refreshed before: each refresh moves it REFRESH_TTL ahead. */
  expires_at: number;
  revoked_at: number | null;
  /** The login request's User-Agent, at most 200 characters; empty when it sent none. */
  user_agent: string;
}

export interface Database {
  users: UsersTable;
  libraries: LibrariesTable;
  library_users: LibraryUsersTable;
  medias: MediasTable;
  series: SeriesTable;
  episodes: EpisodesTable;
  movies: MoviesTable;
  people: PeopleTable;
  tags: TagsTable;
  media_user_data: MediaUserDataTable;
  backups: BackupsTable;
  backup_archives: BackupArchivesTable;
  event_log: EventLogTable;
  event_log_state: EventLogStateTable;
  server_secrets: ServerSecretsTable;
  stream_tickets: StreamTicketsTable;
  sessions: SessionsTable;
}
