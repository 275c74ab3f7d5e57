import { BackupRefusal } from './backup-refusal.js';

const TAR_BLOCK = 512;
/** A tar entry's header, and a pax header with its block for names past 100 bytes. */
const ENTRY_OVERHEAD = 3 * TAR_BLOCK;
/** The two empty blocks that end a tar archive. */
const ARCHIVE_END = 2 * TAR_BLOCK;

/** A run that would leave less free space on the backup disk than the server must keep. */
export class NotEnoughSpace extends BackupRefusal {}

/** The most one entry of `size` bytes takes in a tar archive, headers and padding included. */
export function entryBytes(size: number): number {
  return ENTRY_OVERHEAD + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
}

/** The most an archive of entries of these sizes takes on disk. */
export function archiveBytes(entrySizes: readonly number[]): number {
  return entrySizes.reduce((total, size) => total + entryBytes(size), ARCHIVE_END);
}

export interface DiskSpace {
  /** Free on the disk now, for an unprivileged writer. */
  free: number;
  /** Still to be written: by this run, and by the others running at the same time. */
  owed: number;
  /** What must stay free once every run is done. */
  keepFree: number;
}

/** Throws NotEnoughSpace when writing what is owed would eat into the space to keep free. */
export function ensureSpace({ free, owed, keepFree }: DiskSpace): void {
  if (free - owed >= keepFree) return;
  throw new NotEnoughSpace(
    `not enough free space on the backup disk: the run needs ${formatBytes(owed)} more and ` +
      `${formatBytes(keepFree)} must stay free, but ${formatBytes(free)} is free`,
  );
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
