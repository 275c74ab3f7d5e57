import { Inject, Injectable } from '@nestjs/common';
import SqliteDatabase from 'better-sqlite3';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack as createPack } from 'tar-stream';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import type { DatabaseService } from '../database/database.service.js';
import { BackupPathError, isInside, relativeInside, resolveInside } from './backup-paths.js';

/** A media file the snapshot lists, to be archived next to it. */
export interface SnapshotMedia {
  id: string;
  libraryId: string;
  name: string;
  path: string;
}

export interface DatabaseSnapshot {
  path: string;
  size: number;
  medias: SnapshotMedia[];
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/**
 * The path with every link that exists on disk followed; the part that does not exist yet is
 * kept as written. A broken link is refused: what it points at could be created outside.
 */
async function physicalPath(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (errorCode(error) === 'ENOTDIR') throw new BackupPathError('path runs through a file');
    if (errorCode(error) === 'ELOOP')
      throw new BackupPathError('path runs through a loop of links');
    if (errorCode(error) === 'ENAMETOOLONG') throw new BackupPathError('path is too long');
    if (errorCode(error) !== 'ENOENT') throw error;
    const link = await lstat(path).catch(() => undefined);
    if (link?.isSymbolicLink()) throw new BackupPathError('path runs through a broken link');
    const parent = dirname(path);
    if (parent === path) throw error;
    return join(await physicalPath(parent), basename(path));
  }
}

/** One archive being written: a tar stream into `<name>.partial`, renamed when complete. */
export class ArchiveWriter {
  private readonly pack = createPack();
  private readonly partialPath: string;
  private readonly written: Promise<void>;
  /** A folder next to the archive for the database snapshot, removed at the end. */
  readonly workDir: string;

  private constructor(readonly path: string) {
    this.partialPath = `${path}.partial`;
    this.workDir = join(dirname(path), `.${basename(path)}.work`);
    const output = createWriteStream(this.partialPath, { flags: 'wx' });
    this.written = pipeline(this.pack, output);
    // Awaited in finish() or abort(); until then a failure surfaces through the entries.
    this.written.catch(() => undefined);
  }

  /** The folder the archive is written in. */
  get directory(): string {
    return dirname(this.path);
  }

  static async create(path: string): Promise<ArchiveWriter> {
    const writer = new ArchiveWriter(path);
    await mkdir(writer.workDir);
    return writer;
  }

  /** Streams `size` bytes of the file into the archive; `onBytes` hears how many went so far. */
  addFile(
    name: string,
    source: string,
    size: number,
    signal: AbortSignal,
    onBytes: (written: number) => void,
  ): Promise<void> {
    if (size === 0) return this.addBuffer(name, Buffer.alloc(0));
    return new Promise((resolve, reject) => {
      const entry = this.pack.entry({ name, size, mode: 0o644 }, (error) =>
        error ? reject(error) : resolve(),
      );
      entry.on('error', reject);
      let written = 0;
      const input = createReadStream(source, { start: 0, end: size - 1, signal });
      input.on('data', (chunk) => {
        written += chunk.length;
        onBytes(written);
      });
      input.on('error', (error) => entry.destroy(error));
      input.pipe(entry);
    });
  }

  addBuffer(name: string, content: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = this.pack.entry(
        { name, size: content.length, mode: 0o644 },
        content,
        (error) => (error ? reject(error) : resolve()),
      );
      entry.on('error', reject);
    });
  }

  /** Ends the archive and gives it its final name; returns its size. */
  async finish(): Promise<number> {
    this.pack.finalize();
    await this.written;
    await rename(this.partialPath, this.path);
    await rm(this.workDir, { recursive: true, force: true });
    return (await stat(this.path)).size;
  }

  /** Drops whatever was written. */
  async abort(reason: Error): Promise<void> {
    this.pack.destroy(reason);
    await Promise.allSettled([this.written]);
    await rm(this.partialPath, { force: true });
    await rm(this.workDir, { recursive: true, force: true });
  }
}

/** Everything backups do on disk: paths under BACKUP_DIR, database snapshots, tar archives. */
@Injectable()
export class BackupArchiveAdapter {
  private readonly baseDir: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.baseDir = config.backupDir;
  }

  /**
   * The directory a requested path names inside the backup directory, relative to it, once
   * both its text and the links on disk are known to stay inside. Writes nothing.
   */
  async checkDirectory(requested: string): Promise<string> {
    const target = resolveInside(this.baseDir, requested);
    const physical = await physicalPath(target);
    if (!isInside(await physicalPath(this.baseDir), physical)) {
      throw new BackupPathError('path must stay inside the backup directory (a link leads out)');
    }
    const existing = await stat(physical).catch(() => undefined);
    if (existing !== undefined && !existing.isDirectory()) {
      throw new BackupPathError('path names a file, not a folder');
    }
    return relativeInside(this.baseDir, target);
  }

  /** Creates the directory and an archive in it, checking the path again on disk. */
  async openArchive(requested: string, fileName: string): Promise<ArchiveWriter> {
    const relative = await this.checkDirectory(requested);
    const directory = join(this.baseDir, relative);
    await mkdir(directory, { recursive: true });
    // A link swapped in since the check must not take the archive out either.
    const physical = await realpath(directory);
    if (!isInside(await realpath(this.baseDir), physical)) {
      throw new BackupPathError('path must stay inside the backup directory (a link leads out)');
    }
    return ArchiveWriter.create(join(physical, fileName));
  }

  /** Bytes an unprivileged writer may still put on the disk that holds `directory`. */
  async freeBytes(directory: string): Promise<number> {
    const disk = await statfs(directory);
    return disk.bavail * disk.bsize;
  }

  /**
   * Deletes an archive a run wrote, given relative to the backup directory. Only a regular file
   * whose folder still lies inside the backup directory: a link swapped in is left alone.
   */
  async removeArchive(relativePath: string): Promise<void> {
    const target = resolveInside(this.baseDir, relativePath);
    const found = await lstat(target).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
      throw error;
    });
    if (found === undefined) return;
    const folder = await realpath(dirname(target));
    if (!found.isFile() || !isInside(await realpath(this.baseDir), folder)) {
      throw new BackupPathError('the archive is no longer a file inside the backup directory');
    }
    await rm(join(folder, basename(target)));
  }

  /** Where an archive lies, as clients see it: relative to the backup directory. */
  relativeToBase(path: string): string {
    return relativeInside(this.baseDir, path);
  }

  /**
   * A consistent copy of the live database as one self-contained SQLite file, on either engine
   * (`DatabaseService.snapshotTo`). For a library backup it keeps that library alone (other
   * libraries and their rows go through the foreign keys, server-wide backups, password hashes
   * and the event log too) and is vacuumed so nothing deleted lingers in it. The medias with a
   * file come from the copy, so the archive's files and its database agree.
   */
  async snapshotDatabase(
    database: DatabaseService,
    destination: string,
    libraryId: string | null,
  ): Promise<DatabaseSnapshot> {
    await database.snapshotTo(destination);
    const snapshot = new SqliteDatabase(destination);
    let medias: SnapshotMedia[];
    try {
      snapshot.pragma('journal_mode = DELETE');
      snapshot.pragma('foreign_keys = ON');
      if (libraryId !== null) {
        snapshot.transaction(() => {
          snapshot.prepare('DELETE FROM libraries WHERE id <> ?').run(libraryId);
          snapshot.prepare('DELETE FROM backups WHERE library_id IS NULL').run();
          snapshot.prepare("UPDATE users SET password_hash = ''").run();
          // The event log holds other libraries' events.
          snapshot.prepare('DELETE FROM event_log').run();
        })();
        snapshot.exec('VACUUM');
      }
      medias = snapshot
        .prepare(
          `SELECT id, library_id AS libraryId, name, path FROM medias
           WHERE path IS NOT NULL ORDER BY library_id, added, id`,
        )
        .all() as SnapshotMedia[];
    } finally {
      snapshot.close();
    }
    return { path: destination, size: (await stat(destination)).size, medias };
  }

  /** The size of a regular file, or undefined when there is none at that path. */
  async fileSize(path: string): Promise<number | undefined> {
    const found = await stat(path).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
      throw error;
    });
    return found?.isFile() ? found.size : undefined;
  }
}
