import type { ServerLibrary } from '@reelay/client';

export type LibraryRole = 'read' | 'write' | 'admin';

/** A library as GET /libraries lists it: with the caller's role. */
export interface LibraryView extends ServerLibrary {
  role: LibraryRole;
}

/** GET /auth/me. */
export interface Me {
  id: string;
  username: string;
  role: 'admin' | 'user';
}

/** GET /libraries/:id/scan. */
export interface ScanStatus {
  library: string;
  status: 'running' | 'completed' | 'failed';
  progress: number;
  added: number;
  updated: number;
  removed: number;
  error: string | null;
}
