import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.js';
import * as medias from './0002-medias.js';
import * as catalog from './0003-catalog.js';
import * as progress from './0004-progress.js';
import * as backups from './0005-backups.js';
import * as backupArchives from './0006-backup-archives.js';
import * as eventLog from './0007-event-log.js';
import * as serverSecrets from './0008-server-secrets.js';
import * as streamTickets from './0009-stream-tickets.js';
import * as sessions from './0010-sessions.js';

/** Every migration, by name; names sort in the order they apply. Add new ones at the end. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-medias': medias,
  '0003-catalog': catalog,
  '0004-progress': progress,
  '0005-backups': backups,
  '0006-backup-archives': backupArchives,
  '0007-event-log': eventLog,
  '0008-server-secrets': serverSecrets,
  '0009-stream-tickets': streamTickets,
  '0010-sessions': sessions,
};
