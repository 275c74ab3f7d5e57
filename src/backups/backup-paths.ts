import { isAbsolute, relative, resolve, sep } from 'node:path';
import { BackupRefusal } from './backup-refusal.js';

/** A requested backup path that cannot be used: it would leave the backup directory, or is unusable. */
export class BackupPathError extends BackupRefusal {}

/** Linux's limits (PATH_MAX, NAME_MAX): past them the file system answers with an error. */
const MAX_PATH_BYTES = 4095; // PATH_MAX, less its NUL
const MAX_NAME_BYTES = 255;

/** Whether `target` is `base` or lies under it; both absolute and normalised. */
export function isInside(base: string, target: string): boolean {
  const rest = relative(base, target);
  return rest === '' || (!isAbsolute(rest) && rest !== '..' && !rest.startsWith(`..${sep}`));
}

/**
 * Where a requested backup path lands, by its text alone: relative paths are taken from `base`,
 * absolute ones must already lie inside it. Links on disk are checked by the archive adapter.
 */
export function resolveInside(base: string, requested: string): string {
  if (requested.trim() === '' || requested.includes('\0')) {
    throw new BackupPathError('path must be a non-empty path without NUL characters');
  }
  const target = resolve(base, requested);
  if (Buffer.byteLength(target) > MAX_PATH_BYTES) {
    throw new BackupPathError(`path must be at most ${MAX_PATH_BYTES} bytes long`);
  }
  if (target.split(sep).some((name) => Buffer.byteLength(name) > MAX_NAME_BYTES)) {
    throw new BackupPathError(`each name in path must be at most ${MAX_NAME_BYTES} bytes long`);
  }
  if (!isInside(resolve(base), target)) {
    throw new BackupPathError('path must stay inside the backup directory');
  }
  return target;
}

/** How a path inside `base` is stored: relative to it, `.` for `base` itself. */
export function relativeInside(base: string, target: string): string {
  return relative(base, target) || '.';
}

/** The archive's file name: the backup's name made safe for any file system, and its time. */
export function archiveFileName(backupName: string, startedAt: Date): string {
  const slug =
    backupName
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .slice(0, 64)
      .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'backup';
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  return `${slug}-${stamp}.tar`;
}
