import { Kysely, SqliteDialect } from 'kysely';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Extract, extract } from 'tar-stream';
import type { AppConfig } from '../config/app-config.js';
import { copyRows, countRows } from '../database/database-copy.js';
import { DatabaseService, migrateToLatest, openSqlite } from '../database/database.service.js';
import type { Database } from '../database/schema.js';
import { isInside } from './backup-paths.js';
import { DATABASE_ENTRY } from './backups.service.js';

/** A restore that cannot go ahead; its message says why, for the operator. */
export class RestoreError extends Error {}

export interface RestoreReport {
  users: number;
  libraries: number;
  medias: number;
  /** Media files written back; undefined when files were not asked for. */
  filesRestored?: number;
  /** Media files left alone: something is at their path already, or it leads out of their library. */
  filesSkipped?: number;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0');
/** A ustar archive says so at this offset of its first block. */
const TAR_MAGIC_OFFSET = 257;
const TAR_MAGIC = Buffer.from('ustar');
/** One entry's bytes as the archive is read. */
type EntryContent = Extract extends AsyncIterable<infer Entry> ? Entry : never;

/** `libraries/<library>/<media>/<file>`: a media file of the archive. */
const MEDIA_ENTRY = /^libraries\/([^/]+)\/([^/]+)\/([^/]+)$/;

/**
 * Restores a backup (its `.tar`, or the `reelay.db` inside it) into the database `config` names,
 * which must hold no rows yet: SQLite under DATA_DIR, or PostgreSQL (DATABASE_URL). The
 * backup's snapshot is migrated to this release's schema first, then copied in one transaction.
 * With `files`, media files are written back to their paths, never over anything, and only
 * inside their library's root folder.
 */
export async function restoreBackup(
  config: AppConfig,
  archivePath: string,
  options: { files: boolean },
): Promise<RestoreReport> {
  const workDir = await mkdtemp(join(tmpdir(), 'reelay-restore-'));
  try {
    const snapshotPath = join(workDir, DATABASE_ENTRY);
    const kind = await archiveKind(archivePath);
    if (kind === 'sqlite') {
      if (options.files) throw new RestoreError('a bare database holds no files: give the .tar');
      await copyFile(archivePath, snapshotPath);
    } else {
      await extractEntry(archivePath, DATABASE_ENTRY, snapshotPath);
    }
    const snapshot = new Kysely<Database>({
      dialect: new SqliteDialect({ database: openSqlite(snapshotPath) }),
    });
    try {
      const report = await restoreRows(config, snapshot);
      if (!options.files) return report;
      const files = await restoreFiles(archivePath, snapshot);
      return { ...report, filesRestored: files.restored, filesSkipped: files.skipped };
    } finally {
      await snapshot.destroy();
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function restoreRows(config: AppConfig, snapshot: Kysely<Database>): Promise<RestoreReport> {
  await migrateToLatest(snapshot);
  const unusable = await snapshot
    .selectFrom('users')
    .select('id')
    .where('password_hash', '=', '')
    .where('role', '=', 'admin')
    .executeTakeFirst();
  if (unusable) {
    throw new RestoreError(
      "this is a library's backup: its users have no passwords and no one could log in; " +
        'restore a server backup (one made without a library)',
    );
  }
  const target = new DatabaseService(config);
  try {
    await target.migrate();
    const rows = await countRows(target.db);
    if (rows > 0) {
      throw new RestoreError(
        `the database to restore into already holds ${rows} rows: restore into an empty one`,
      );
    }
    await target.db.transaction().execute((trx) => copyRows(snapshot, trx));
    const count = async (table: 'users' | 'libraries' | 'medias') =>
      (
        await target.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .executeTakeFirstOrThrow()
      ).count;
    return {
      users: await count('users'),
      libraries: await count('libraries'),
      medias: await count('medias'),
    };
  } finally {
    await target.onApplicationShutdown();
  }
}

async function archiveKind(path: string): Promise<'sqlite' | 'tar'> {
  const file = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new RestoreError(`cannot read ${path}: ${error.code ?? error.message}`);
  });
  try {
    const head = Buffer.alloc(TAR_MAGIC_OFFSET + TAR_MAGIC.length);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    if (
      bytesRead >= SQLITE_MAGIC.length &&
      head.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)
    ) {
      return 'sqlite';
    }
    if (bytesRead === head.length && head.subarray(TAR_MAGIC_OFFSET).equals(TAR_MAGIC))
      return 'tar';
    throw new RestoreError(`${path} is neither a Reelay backup archive (.tar) nor its reelay.db`);
  } finally {
    await file.close();
  }
}

/** Reads the archive's entries in order, each handed to `take`, which must consume or drain it. */
async function eachEntry(
  archivePath: string,
  take: (name: string, type: string | null | undefined, content: EntryContent) => Promise<void>,
): Promise<void> {
  const entries = extract();
  const reading = pipeline(createReadStream(archivePath), entries);
  // Awaited below; a failure of `take` ends the loop first and the pipeline with it.
  reading.catch(() => undefined);
  for await (const entry of entries) {
    // oxlint-disable-next-line no-await-in-loop -- a tar is read one entry after another
    await take(entry.header.name, entry.header.type, entry);
  }
  await reading;
}

/** Reads an entry through without keeping it: the archive goes on after it. */
async function drain(content: AsyncIterable<unknown>): Promise<void> {
  for await (const chunk of content) void chunk;
}

async function extractEntry(archivePath: string, name: string, destination: string): Promise<void> {
  let found = false;
  await eachEntry(archivePath, async (entry, type, content) => {
    if (entry !== name || type !== 'file' || found) return drain(content);
    found = true;
    await pipeline(content, createWriteStream(destination, { flags: 'wx' }));
  });
  if (!found) throw new RestoreError(`the archive holds no ${name}`);
}

async function restoreFiles(
  archivePath: string,
  snapshot: Kysely<Database>,
): Promise<{ restored: number; skipped: number }> {
  const medias = await snapshot
    .selectFrom('medias')
    .innerJoin('libraries', 'libraries.id', 'medias.library_id')
    .select(['medias.id', 'medias.library_id', 'medias.path', 'libraries.root'])
    .where('medias.path', 'is not', null)
    .execute();
  const byId = new Map(medias.map((media) => [media.id, media]));
  let restored = 0;
  let skipped = 0;
  await eachEntry(archivePath, async (entry, type, content) => {
    const match = MEDIA_ENTRY.exec(entry);
    const media = match ? byId.get(match[2]) : undefined;
    if (!match || type !== 'file' || !media || media.library_id !== match[1]) {
      return drain(content);
    }
    const written = await writeBack(media.path as string, media.root, match[3], content);
    if (written) restored++;
    else skipped++;
  });
  return { restored, skipped };
}

/**
 * Writes a media file back at `path` if it lies inside `root` (links on disk followed), bears the
 * entry's name, and nothing is there yet; else drains it. Returns whether it was written.
 */
async function writeBack(
  path: string,
  root: string | null,
  entryName: string,
  content: EntryContent,
): Promise<boolean> {
  const target = resolve(path);
  if (root === null || !isAbsolute(path) || basename(target) !== entryName) {
    await drain(content);
    return false;
  }
  const folder = dirname(target);
  if (!isInside(resolve(root), target) || !(await staysInside(root, folder))) {
    await drain(content);
    return false;
  }
  await mkdir(folder, { recursive: true });
  if (!(await staysInside(root, folder))) {
    await drain(content);
    return false;
  }
  // 'wx': never over a file, nor through a link at the last name.
  const output = await open(target, 'wx').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') return undefined;
    throw error;
  });
  if (!output) {
    await drain(content);
    return false;
  }
  await pipeline(content, output.createWriteStream());
  return true;
}

/** Whether `folder`, as far as it exists with its links followed, lies inside `root`'s. */
async function staysInside(root: string, folder: string): Promise<boolean> {
  const realRoot = await deepestReal(resolve(root));
  return isInside(realRoot, await deepestReal(folder));
}

/** The real path of `path`, or of its deepest part that exists with the rest appended. */
async function deepestReal(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const parent = dirname(path);
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === path) throw error;
    return join(await deepestReal(parent), basename(path));
  }
}
