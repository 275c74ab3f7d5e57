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

export interface Database {
  users: UsersTable;
  libraries: LibrariesTable;
  library_users: LibraryUsersTable;
  medias: MediasTable;
}
