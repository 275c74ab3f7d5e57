import {
  BadRequestException,
  type BeforeApplicationShutdown,
  ConflictException,
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import type { Principal } from '../access/principal.js';
import { ShutdownGrace } from '../common/shutdown-grace.js';
import type { AppConfig, BackupLimits } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { DatabaseService } from '../database/database.service.js';
import { EventsPublisher } from '../events/events.publisher.js';
import type { BackupWithStatus } from '../events/events.types.js';
import { LibrariesService } from '../libraries/libraries.service.js';
import {
  type ArchiveWriter,
  BackupArchiveAdapter,
  type DatabaseSnapshot,
} from './backup-archive.adapter.js';
import { archiveFileName } from './backup-paths.js';
import { BackupRefusal } from './backup-refusal.js';
import { describeGap, parseSchedule, shortestGapMs } from './backup-schedule.js';
import { archiveBytes, ensureSpace, entryBytes } from './backup-space.js';
import type {
  BackupArchiveDto,
  BackupDto,
  CreateBackupDto,
  UpdateBackupDto,
} from './backups.dto.js';
import { type ArchiveRecord, type BackupRecord, BackupsRepository } from './backups.repository.js';

export const DATABASE_ENTRY = 'reelay.db';
export const MANIFEST_ENTRY = 'manifest.json';
/** The run columns of a backup that has not run yet, or whose new run has not counted yet. */
const NO_RUN = {
  started: null,
  finished: null,
  archive: null,
  archive_size: null,
  files: 0,
  files_done: 0,
  files_missing: 0,
  bytes: 0,
  bytes_done: 0,
  error: null,
} as const;
/** How often, at most, a run's counts are stored and published while it goes. */
const PROGRESS_INTERVAL_MS = 1000;

/** A backup as clients see it, over HTTP and in `backups` events (`deleted` in its last one). */
export function toBackupDto(record: BackupRecord, deleted?: true): BackupDto & BackupWithStatus {
  return {
    ...(deleted ? { deleted } : {}),
    id: record.id,
    name: record.name,
    library: record.library_id,
    status: record.status,
    path: record.path,
    schedule: record.schedule,
    keep: record.keep,
    added: record.added,
    updated: record.updated,
    started: record.started,
    finished: record.finished,
    archive: record.archive,
    archiveSize: record.archive_size,
    files: record.files,
    filesDone: record.files_done,
    filesMissing: record.files_missing,
    bytes: record.bytes,
    bytesDone: record.bytes_done,
    error: record.error,
  };
}

/** One file of a run, as it goes into the archive. */
interface ArchivedFile {
  entry: string;
  source: string;
  size: number;
  library: string | null;
  media?: string;
  name?: string;
}

interface MissingFile {
  media: string;
  library: string;
  source: string;
}

/**
 * What a run archives: the database snapshot first, then every media file that exists
 * (`sizes` holds each media's file size, undefined when the file is gone).
 */
function planArchive(
  backup: BackupRecord,
  snapshot: DatabaseSnapshot,
  sizes: readonly (number | undefined)[],
): { files: ArchivedFile[]; missing: MissingFile[] } {
  const files: ArchivedFile[] = [
    {
      entry: DATABASE_ENTRY,
      source: snapshot.path,
      size: snapshot.size,
      library: backup.library_id,
    },
  ];
  const missing: MissingFile[] = [];
  snapshot.medias.forEach((media, index) => {
    const size = sizes[index];
    if (size === undefined) {
      missing.push({ media: media.id, library: media.libraryId, source: media.path });
      return;
    }
    files.push({
      entry: `libraries/${media.libraryId}/${media.id}/${basename(media.path)}`,
      source: media.path,
      size,
      library: media.libraryId,
      media: media.id,
      name: media.name,
    });
  });
  return { files, missing };
}

/** The archive's table of contents: which entry holds which media, and what was missing. */
function manifestOf(
  backup: BackupRecord,
  files: readonly ArchivedFile[],
  missing: readonly MissingFile[],
): Buffer {
  const manifest = {
    backup: backup.id,
    name: backup.name,
    library: backup.library_id,
    started: backup.started,
    database: DATABASE_ENTRY,
    files: files
      .filter((file) => file.media !== undefined)
      .map(({ media, name, library, entry, source, size }) => ({
        media,
        name,
        library,
        entry,
        source,
        size,
      })),
    missing,
  };
  return Buffer.from(JSON.stringify(manifest, null, 2));
}

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
  /** The most the run may still write to the backup disk. */
  owed: number;
}

function toArchiveDto({ path, size, started, finished }: ArchiveRecord): BackupArchiveDto {
  return { path, size, started, finished };
}

/**
 * Backup definitions and their runs. A run snapshots the database with SQLite's online backup,
 * then streams it and the media files into a tar archive under BACKUP_DIR, telling its status
 * (`backups`) and each file's progress (`backups-files`) as it goes.
 */
@Injectable()
export class BackupsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(BackupsService.name);
  private readonly active = new Map<string, ActiveRun>();
  private readonly limits: BackupLimits;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: BackupsRepository,
    private readonly archives: BackupArchiveAdapter,
    private readonly database: DatabaseService,
    private readonly libraries: LibrariesService,
    private readonly events: EventsPublisher,
    private readonly grace: ShutdownGrace,
  ) {
    this.limits = config.backups;
  }

  async onModuleInit(): Promise<void> {
    // In a cluster the primary did this before any worker started: a worker starting again
    // must not fail the runs the others are making.
    if (this.config.workerIndex !== undefined) return;
    await this.repository.failInterrupted(
      'interrupted: the server stopped during the run',
      Date.now(),
    );
  }

  /**
   * The runs in progress have until the grace ends to finish; those that have not are stopped
   * then, each recording itself as `error` (and telling so in a `backups` event) before the
   * database closes, so that none is left `inProgress` for the next start to find.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const runs = [...this.active.values()];
    const inTime = await this.grace.within(
      'backup runs',
      runs.map((run) => run.done),
    );
    if (inTime) return;
    const unfinished = [...this.active.values()];
    this.logger.warn(
      `Stopping ${unfinished.length} backup runs that did not finish within the grace`,
    );
    for (const run of unfinished) {
      run.controller.abort(new Error('the server stopped before the run finished'));
    }
    await Promise.all(unfinished.map((run) => run.done));
  }

  async create(principal: Principal, input: CreateBackupDto): Promise<BackupDto> {
    if (input.library !== undefined) {
      await this.libraries.requireRole(principal, input.library, 'admin');
    } else if (!principal.isServerAdmin()) {
      throw new ForbiddenException('A server-wide backup needs a server admin');
    }
    this.checkLimits(principal, input);
    const path = await this.checkPath(input.path);
    const now = Date.now();
    const record: BackupRecord = {
      id: randomUUID(),
      name: input.name,
      library_id: input.library ?? null,
      path,
      schedule: input.schedule?.trim() ?? null,
      keep: input.keep ?? null,
      status: 'idle',
      added: now,
      updated: now,
      ...NO_RUN,
    };
    await this.repository.insert(record);
    return this.publish(record);
  }

  /** The backups the principal may manage: all for a server admin, else their libraries'. */
  async list(principal: Principal): Promise<BackupDto[]> {
    if (principal.isServerAdmin())
      return (await this.repository.list()).map((record) => toBackupDto(record));
    const administered = [...principal.grants()]
      .filter(([, role]) => role === 'admin')
      .map(([libraryId]) => libraryId);
    if (administered.length === 0) return [];
    return (await this.repository.list(administered)).map((record) => toBackupDto(record));
  }

  async get(principal: Principal, id: string): Promise<BackupDto> {
    return toBackupDto(await this.requireManageable(principal, id));
  }

  /** Changes what is given; a lower `keep` prunes the archives beyond it at once. */
  async update(principal: Principal, id: string, input: UpdateBackupDto): Promise<BackupDto> {
    const record = await this.requireManageable(principal, id);
    this.checkLimits(principal, input);
    const changes = {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.path === undefined ? {} : { path: await this.checkPath(input.path) }),
      ...(input.schedule === undefined ? {} : { schedule: input.schedule?.trim() ?? null }),
      ...(input.keep === undefined ? {} : { keep: input.keep }),
    };
    if (Object.keys(changes).length === 0) return toBackupDto(record);
    const updated = await this.repository.update(id, { ...changes, updated: Date.now() });
    if (!updated) throw new NotFoundException(`Backup ${id} not found`);
    const view = this.publish(updated);
    if (input.keep !== undefined) await this.prune(id);
    return view;
  }

  /**
   * Deletes the backup, once its run (if any) has stopped; its archives stay on disk unless
   * `archives` is `delete`. Its admins hear of it as a `backups` event with `deleted: true`.
   */
  async remove(principal: Principal, id: string, archives: 'keep' | 'delete'): Promise<void> {
    const record = await this.requireManageable(principal, id);
    const run = this.active.get(id);
    if (run) {
      run.controller.abort(new BackupRefusal('the backup was deleted during its run'));
      await run.done;
    }
    if (archives === 'delete') {
      await this.removeArchives(record, await this.repository.listArchives(id));
    }
    await this.repository.delete(id);
    this.events.backups(toBackupDto(record, true));
  }

  /** The archives the backup keeps, newest first. */
  async listArchives(principal: Principal, id: string): Promise<BackupArchiveDto[]> {
    await this.requireManageable(principal, id);
    return (await this.repository.listArchives(id)).map(toArchiveDto);
  }

  /** Starts a run in the background; answers with the backup `inProgress`. */
  async run(principal: Principal, id: string): Promise<BackupDto> {
    return this.start(await this.requireManageable(principal, id));
  }

  /** Starts a run for the scheduler, unless one is going already. */
  async runScheduled(record: BackupRecord): Promise<void> {
    if (!this.active.has(record.id)) await this.start(record);
  }

  private async start(record: BackupRecord): Promise<BackupDto> {
    this.grace.refuseWhileDraining('The server is shutting down; run the backup again shortly');
    if (this.active.has(record.id)) throw new ConflictException('This backup is running already');
    const run: ActiveRun = {
      controller: new AbortController(),
      done: Promise.resolve(),
      owed: 0,
    };
    this.active.set(record.id, run);
    let started: BackupRecord | undefined;
    try {
      const now = Date.now();
      started = await this.repository.claimRun(record.id, {
        ...NO_RUN,
        started: now,
        updated: now,
      });
    } finally {
      if (!started) this.active.delete(record.id);
    }
    if (!started) {
      // Another process of the cluster may be running it.
      if (await this.repository.find(record.id)) {
        throw new ConflictException('This backup is running already');
      }
      throw new NotFoundException(`Backup ${record.id} not found`);
    }
    const view = this.publish(started);
    run.done = this.execute(started, run)
      .catch((error: unknown) =>
        this.logger.error(`Backup ${record.id} could not record its end: ${String(error)}`),
      )
      .finally(() => this.active.delete(record.id));
    return view;
  }

  /**
   * The whole run: a failure is recorded on the backup and published. Free space is checked
   * before the database is copied, once the archive's size is known, and before each file.
   */
  private async execute(backup: BackupRecord, run: ActiveRun): Promise<void> {
    const { signal } = run.controller;
    let writer: ArchiveWriter | undefined;
    try {
      writer = await this.archives.openArchive(
        backup.path,
        archiveFileName(backup.name, new Date(backup.started ?? Date.now())),
      );
      // The snapshot, then its copy in the archive.
      run.owed = 2 * (await this.database.sizeBytes());
      await this.ensureSpace(writer.directory);
      const snapshot = await this.archives.snapshotDatabase(
        this.database,
        join(writer.workDir, DATABASE_ENTRY),
        backup.library_id,
      );
      const sizes = await Promise.all(
        snapshot.medias.map((media) => this.archives.fileSize(media.path)),
      );
      const { files, missing } = planArchive(backup, snapshot, sizes);
      const manifest = manifestOf(backup, files, missing);
      run.owed = archiveBytes([...files.map((file) => file.size), manifest.length]);
      await this.ensureSpace(writer.directory);
      const totals = await this.progress(backup.id, {
        files: files.length,
        files_missing: missing.length,
        bytes: files.reduce((sum, file) => sum + file.size, 0),
      });
      await this.archiveFiles(writer, totals, files, run);
      await writer.addBuffer(MANIFEST_ENTRY, manifest);
      const archiveSize = await writer.finish();
      const archive = this.archives.relativeToBase(writer.path);
      const now = Date.now();
      await this.repository.addArchive({
        backup_id: backup.id,
        path: archive,
        size: archiveSize,
        started: backup.started ?? now,
        finished: now,
      });
      // Before `done` is told: a client that lists the archives then sees them pruned.
      await this.prune(backup.id);
      await this.finish(backup.id, {
        status: 'done',
        finished: now,
        archive,
        archive_size: archiveSize,
        files_done: files.length,
        bytes_done: totals.bytes,
        updated: now,
      });
    } catch (error) {
      const reason = signal.aborted ? (signal.reason as Error) : (error as Error);
      await writer?.abort(reason);
      const message =
        error instanceof BackupRefusal || signal.aborted ? reason.message : runFailure(reason);
      if (!signal.aborted) this.logger.warn(`Backup ${backup.id} failed: ${reason.message}`);
      const now = Date.now();
      await this.finish(backup.id, {
        status: 'error',
        error: message,
        finished: now,
        updated: now,
      });
    }
  }

  /** Streams every file into the archive, one after another: a tar archive is one stream. */
  private async archiveFiles(
    writer: ArchiveWriter,
    totals: BackupRecord,
    files: readonly ArchivedFile[],
    run: ActiveRun,
  ): Promise<void> {
    const { signal } = run.controller;
    let filesDone = 0;
    let bytesDone = 0;
    let lastPublished = Date.now();
    const tell = (file: ArchivedFile, written: number) =>
      this.events.backupsFiles({
        ...(file.library === null ? {} : { library: file.library }),
        file: file.entry,
        progress: file.size === 0 ? 100 : Math.floor((written / file.size) * 100),
        backup: totals.id,
        ...(file.media === undefined ? {} : { media: file.media }),
        bytes: written,
        size: file.size,
      });
    for (const file of files) {
      signal.throwIfAborted();
      // oxlint-disable-next-line no-await-in-loop -- the disk may fill while the run goes
      await this.ensureSpace(writer.directory);
      tell(file, 0);
      let lastTenth = 0;
      // oxlint-disable-next-line no-await-in-loop -- entries of a tar stream go in one at a time
      await writer.addFile(file.entry, file.source, file.size, signal, (written) => {
        const tenth = Math.floor((written / file.size) * 10);
        if (tenth > lastTenth && written < file.size) {
          lastTenth = tenth;
          tell(file, written);
        }
      });
      tell(file, file.size);
      run.owed -= entryBytes(file.size);
      filesDone += 1;
      bytesDone += file.size;
      if (Date.now() - lastPublished >= PROGRESS_INTERVAL_MS) {
        lastPublished = Date.now();
        // oxlint-disable-next-line no-await-in-loop -- the counts are stored between two entries
        await this.progress(totals.id, { files_done: filesDone, bytes_done: bytesDone });
      }
    }
  }

  private async progress(
    id: string,
    counts: Partial<
      Pick<BackupRecord, 'files' | 'files_missing' | 'bytes' | 'files_done' | 'bytes_done'>
    >,
  ): Promise<BackupRecord> {
    const record = await this.repository.update(id, { ...counts, updated: Date.now() });
    if (!record) throw new Error('the backup was deleted during its run');
    this.publish(record);
    return record;
  }

  private async finish(id: string, changes: Partial<BackupRecord>): Promise<void> {
    const record = await this.repository.update(id, changes);
    if (record) this.publish(record);
  }

  /**
   * Throws NotEnoughSpace unless the disk holding `directory` can take what every run still
   * owes and keep BACKUP_MIN_FREE free: runs going at once must not each count the same space.
   */
  private async ensureSpace(directory: string): Promise<void> {
    let owed = 0;
    for (const run of this.active.values()) owed += run.owed;
    ensureSpace({
      free: await this.archives.freeBytes(directory),
      owed,
      keepFree: this.limits.minFreeBytes,
    });
  }

  /** Retention: deletes the oldest archives beyond the backup's `keep`, as it now stands. */
  private async prune(id: string): Promise<void> {
    const record = await this.repository.find(id);
    if (!record) return;
    const archives = await this.repository.listArchives(id);
    await this.removeArchives(record, archives.slice(record.keep ?? this.limits.keep));
  }

  /** Deletes archives from disk, then their records; one that cannot go is kept and logged. */
  private async removeArchives(
    record: BackupRecord,
    archives: readonly ArchiveRecord[],
  ): Promise<void> {
    await Promise.all(
      archives.map(async (archive) => {
        try {
          await this.archives.removeArchive(archive.path);
          await this.repository.deleteArchive(record.id, archive.path);
        } catch (error) {
          this.logger.warn(
            `Backup ${record.id} could not delete its archive ${archive.path}: ${String(error)}`,
          );
        }
      }),
    );
  }

  /**
   * What only a server admin may ask for: more archives than BACKUP_KEEP, and runs closer
   * together than BACKUP_MIN_INTERVAL; so a library admin cannot fill the backup disk.
   */
  private checkLimits(
    principal: Principal,
    { schedule, keep }: Pick<UpdateBackupDto, 'schedule' | 'keep'>,
  ): void {
    if (principal.isServerAdmin()) return;
    if (keep !== undefined && keep !== null && keep > this.limits.keep) {
      throw new BadRequestException(
        `keep: a library admin may keep at most ${this.limits.keep} archives`,
      );
    }
    if (schedule === undefined || schedule === null) return;
    const gap = shortestGapMs(parseSchedule(schedule));
    const minimum = this.limits.minIntervalSeconds * 1000;
    if (gap < minimum) {
      throw new BadRequestException(
        `schedule: runs ${describeGap(gap)} apart; a library admin may schedule runs at ` +
          `least ${describeGap(minimum)} apart`,
      );
    }
  }

  private publish(record: BackupRecord): BackupDto {
    const view = toBackupDto(record);
    this.events.backups(view);
    return view;
  }

  private async checkPath(requested: string): Promise<string> {
    try {
      return await this.archives.checkDirectory(requested);
    } catch (error) {
      if (error instanceof BackupRefusal) throw new BadRequestException(error.message);
      throw error;
    }
  }

  /**
   * The backup, if the principal may manage it: a library's admin for its backups (hidden as
   * not found from who cannot even read the library), a server admin for server-wide ones.
   */
  private async requireManageable(principal: Principal, id: string): Promise<BackupRecord> {
    const record = await this.repository.find(id);
    const library = record?.library_id;
    if (!record || (library && !principal.canRead(library))) {
      throw new NotFoundException(`Backup ${id} not found`);
    }
    if (library ? !principal.isLibraryAdmin(library) : !principal.isServerAdmin()) {
      throw new ForbiddenException(
        library ? `This needs the admin role on library ${library}` : 'This needs a server admin',
      );
    }
    return record;
  }
}

const FAILURES_BY_CODE: Record<string, string> = {
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the disk is read-only',
  ENAMETOOLONG: 'a path is too long',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
};

/**
 * What a failed run tells its clients, who may be library admins: the kind of failure, never the
 * error's own message, which names server paths. The log has the whole of it.
 */
function runFailure(error: Error): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return 'the run failed';
  return `the run failed: ${FAILURES_BY_CODE[code] ?? code}`;
}
