import { Injectable } from '@nestjs/common';
import { constants, createWriteStream, type WriteStream } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rm,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export interface FileFacts {
  size: number;
  /** Modification time, epoch ms. */
  modified: number;
}

/** A file opened for reading: the handle is closed by the stream, or by `close()`. */
export interface OpenedFile extends FileFacts {
  stream(start: number, end: number): Readable;
  close(): Promise<void>;
}

export interface FolderListing {
  /** Real paths of the regular files found. */
  files: string[];
  /** Folders that could not be read: what lies below them is unknown, not gone. */
  unreadable: string[];
  skippedLinks: number;
}

/**
 * The filesystem, as the media domain uses it. Every path it stores is a real path (no symbolic
 * link in it), so that a link planted later is noticed before a file is served or removed.
 */
@Injectable()
export class MediaStorage {
  /** Creates the folder if needed and returns its real path. */
  async prepareFolder(path: string): Promise<string> {
    await mkdir(path, { recursive: true });
    return realpath(path);
  }

  /**
   * The real path of the folder new files of a library go to: its root, which must exist (a
   * missing root is often an unmounted disk, and creating it would fill the disk beneath), or
   * else the folder Reelay manages for it, created when needed. Null for a missing root.
   */
  async libraryFolder(storageDir: string, hasRoot: boolean): Promise<string | null> {
    return hasRoot ? this.realFolder(storageDir) : this.prepareFolder(storageDir);
  }

  /** The real path of a folder, or null if there is no folder there. */
  async realFolder(path: string): Promise<string | null> {
    try {
      const real = await realpath(path);
      return (await lstat(real)).isDirectory() ? real : null;
    } catch {
      return null;
    }
  }

  /** A new file to write; fails if anything exists at `path`. */
  createFile(path: string): WriteStream {
    return createWriteStream(path, { flags: 'wx', mode: 0o644 });
  }

  async moveInto(from: string, to: string): Promise<void> {
    await rename(from, to);
  }

  async discard(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  /** Size and modification time of a regular file reached without links; null otherwise. */
  async facts(path: string): Promise<FileFacts | null> {
    try {
      const stats = await lstat(path);
      return stats.isFile() ? { size: stats.size, modified: Math.floor(stats.mtimeMs) } : null;
    } catch {
      return null;
    }
  }

  /**
   * Opens a stored file for reading, or null if it is gone or is no longer the plain file that
   * was stored (a link now stands somewhere in its path).
   */
  async openFile(path: string): Promise<OpenedFile | null> {
    const opened = await this.openRegular(path);
    if (opened === null) return null;
    const { handle, size, modified } = opened;
    return {
      size,
      modified,
      stream: (start, end) => handle.createReadStream({ start, end, autoClose: true }),
      close: () => handle.close(),
    };
  }

  /** The first bytes of a stored file (fewer if it is shorter), or null as for `openFile`. */
  async readHead(path: string, length: number): Promise<Buffer | null> {
    const opened = await this.openRegular(path);
    if (opened === null) return null;
    try {
      const buffer = Buffer.alloc(Math.min(length, opened.size));
      const { bytesRead } = await opened.handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await opened.handle.close();
    }
  }

  /**
   * Opens a stored path that is still a plain regular file. Non-blocking, and checked on the
   * opened descriptor: a FIFO or a device put in a file's place would otherwise hold one of
   * libuv's few threads until someone writes to it, and with them every file read and login.
   */
  private async openRegular(
    path: string,
  ): Promise<{ handle: FileHandle; size: number; modified: number } | null> {
    if ((await realpath(path).catch(() => null)) !== path) return null;
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return null;
    }
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return null;
    }
    return { handle, size: stats.size, modified: Math.floor(stats.mtimeMs) };
  }

  /** Whether a stored path still leads to a regular file, with no link anywhere in it. */
  async isIntact(path: string): Promise<boolean> {
    return (await realpath(path).catch(() => null)) === path && (await this.facts(path)) !== null;
  }

  /** Removes a file Reelay wrote, unless a link now stands in its path or it is not a file. */
  async removeStoredFile(path: string): Promise<void> {
    if (await this.isIntact(path)) await rm(path, { force: true });
  }

  /**
   * Every regular file below a real folder. Names starting with a dot are skipped (hidden
   * files, and the partial files of uploads and conversions); symbolic links are never
   * followed, so the walk cannot leave the folder, and anything they point at inside it is
   * reached by the walk itself.
   */
  async listFiles(root: string, signal?: AbortSignal): Promise<FolderListing> {
    const listing: FolderListing = { files: [], unreadable: [], skippedLinks: 0 };
    for await (const path of this.walk(root, listing, signal)) listing.files.push(path);
    return listing;
  }

  private async *walk(
    folder: string,
    listing: FolderListing,
    signal?: AbortSignal,
  ): AsyncGenerator<string> {
    signal?.throwIfAborted();
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      listing.unreadable.push(folder);
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isSymbolicLink()) listing.skippedLinks += 1;
      else if (entry.isDirectory()) yield* this.walk(path, listing, signal);
      else if (entry.isFile()) yield path;
    }
  }
}
