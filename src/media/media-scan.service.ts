import {
  type BeforeApplicationShutdown,
  BadRequestException,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { Principal } from '../access/principal.js';
import { ShutdownGrace } from '../common/shutdown-grace.js';
import { EventsPublisher } from '../events/events.publisher.js';
import type { MediaWithAction } from '../events/events.types.js';
import { LibrariesService } from '../libraries/libraries.service.js';
import type { ScanStatusDto } from './media.dto.js';
import { type MediaRecord, toMedia } from './media.mapper.js';
import { type KnownFile, MediaRepository } from './media.repository.js';
import { type FileFacts, MediaStorage } from './media-storage.repository.js';
import { mimetypeFor } from './mimetypes.js';
import { ProgressThrottle } from './progress-throttle.js';

/** Files looked at, written and told about together: one transaction, one `medias` message. */
export const SCAN_BATCH_SIZE = 500;

interface Scan extends ScanStatusDto {
  status: 'running' | 'completed' | 'failed';
  abort: AbortController;
  done: Promise<void>;
}

function isInside(path: string, folder: string): boolean {
  return path.startsWith(folder.endsWith('/') ? folder : `${folder}/`);
}

/**
 * Scans a library's root folder in the background, one scan per library at a time: registers
 * new files, updates changed ones, removes medias whose files are gone, and reports progress to
 * the library's admins with `library-status`.
 */
@Injectable()
export class MediaScanService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MediaScanService.name);
  /** The latest scan of each library. */
  private readonly scans = new Map<string, Scan>();

  constructor(
    private readonly libraries: LibrariesService,
    private readonly repository: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly events: EventsPublisher,
    private readonly grace: ShutdownGrace,
  ) {}

  async start(principal: Principal, libraryId: string): Promise<ScanStatusDto> {
    this.grace.refuseWhileDraining('The server is shutting down; start the scan again shortly');
    const library = await this.libraries.requireRole(principal, libraryId, 'admin');
    if (library.root === null) {
      throw new BadRequestException('This library has no root folder to scan');
    }
    const root = await this.storage.realFolder(library.root);
    if (root === null) {
      throw new BadRequestException(`The root of this library (${library.root}) is not a folder`);
    }
    if (this.scans.get(libraryId)?.status === 'running') {
      throw new ConflictException('A scan of this library is already running');
    }
    const scan: Scan = {
      scanId: randomUUID(),
      library: libraryId,
      status: 'running',
      progress: 0,
      added: 0,
      updated: 0,
      removed: 0,
      startedAt: Date.now(),
      finishedAt: null,
      error: null,
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    this.scans.set(libraryId, scan);
    scan.done = this.run(scan, root);
    return this.view(scan);
  }

  async status(principal: Principal, libraryId: string): Promise<ScanStatusDto> {
    await this.libraries.requireRole(principal, libraryId, 'admin');
    const scan = this.scans.get(libraryId);
    if (!scan) throw new NotFoundException('This library has not been scanned since the start');
    return this.view(scan);
  }

  /**
   * The running scans have until the grace ends to finish, as the other work does; those that
   * have not are stopped then, while the database is still open, and fail.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const running = [...this.scans.values()].filter((scan) => scan.status === 'running');
    const inTime = await this.grace.within(
      'scans',
      running.map((scan) => scan.done),
    );
    if (inTime) return;
    const unfinished = running.filter((scan) => scan.status === 'running');
    for (const scan of unfinished) {
      scan.abort.abort(new Error('the server stopped before the scan finished'));
    }
    await Promise.all(unfinished.map((scan) => scan.done));
  }

  private async run(scan: Scan, root: string): Promise<void> {
    const library = scan.library;
    const signal = scan.abort.signal;
    try {
      this.events.libraryStatus(library, 'Scan started', 0);
      // Known before listing, so that a file an upload adds meanwhile is never taken for gone.
      const known = new Map(
        (await this.repository.filesUnder(library, root)).map((file) => [file.path, file]),
      );
      const listing = await this.storage.listFiles(root, signal);
      const total = listing.files.length;
      const throttle = new ProgressThrottle(total);
      throttle.pass(0);
      const seen = new Set<string>();
      let looked = 0;
      for await (const batch of this.factsInBatches(listing.files)) {
        signal.throwIfAborted();
        await this.register(scan, batch, known, seen);
        looked += batch.length;
        const percent = throttle.percent(looked);
        if (throttle.pass(looked) && percent < 100) {
          scan.progress = percent;
          this.events.libraryStatus(library, `Scanning: ${looked} of ${total} files`, percent);
        }
      }
      const gone = [...known.values()].filter(
        (file) =>
          !seen.has(file.path) && !listing.unreadable.some((folder) => isInside(file.path, folder)),
      );
      for await (const removed of this.removeInBatches(library, gone)) {
        scan.removed += removed.length;
        this.publish(
          library,
          removed.map((record) => ({ action: 'Deleted', media: toMedia(record) })),
        );
      }
      scan.status = 'completed';
      scan.progress = 100;
      const skipped =
        listing.skippedLinks > 0 ? `, ${listing.skippedLinks} symbolic links not followed` : '';
      this.events.libraryStatus(
        library,
        `Scan complete: ${scan.added} added, ${scan.updated} updated, ${scan.removed} removed${skipped}`,
        100,
      );
    } catch (error) {
      scan.status = 'failed';
      scan.error = await this.describeFailure(library, error);
      this.logger.warn(`Scan of library ${library} failed: ${scan.error}`);
      this.events.libraryStatus(library, `Scan failed: ${scan.error}`, 100);
    } finally {
      scan.finishedAt = Date.now();
    }
  }

  /** Registers new files and updates changed ones; one transaction, one message. */
  private async register(
    scan: Scan,
    batch: { path: string; facts: FileFacts | null }[],
    known: ReadonlyMap<string, KnownFile>,
    seen: Set<string>,
  ): Promise<void> {
    const now = Date.now();
    const added: MediaRecord[] = [];
    const updated: { id: string; size: number; modified: number; updated: number }[] = [];
    for (const { path, facts } of batch) {
      if (facts === null) continue;
      seen.add(path);
      const existing = known.get(path);
      if (!existing) {
        const name = basename(path);
        added.push({
          id: randomUUID(),
          library_id: scan.library,
          name,
          path,
          mimetype: mimetypeFor(name),
          size: facts.size,
          modified: facts.modified,
          added: now,
          updated: now,
          origin: 'scan',
          description: null,
          duration_ms: null,
          width: null,
          height: null,
        });
      } else if (existing.size !== facts.size || existing.modified !== facts.modified) {
        updated.push({ id: existing.id, size: facts.size, modified: facts.modified, updated: now });
      }
    }
    if (added.length === 0 && updated.length === 0) return;
    const result = await this.repository.applyScanBatch(added, updated);
    scan.added += result.added.length;
    scan.updated += result.updated.length;
    this.publish(scan.library, [
      ...result.added.map((record) => ({ action: 'Added' as const, media: toMedia(record) })),
      ...result.updated.map((record) => ({ action: 'Updated' as const, media: toMedia(record) })),
    ]);
  }

  /** The files' facts, a batch at a time, each batch looked up in parallel. */
  private async *factsInBatches(
    files: string[],
  ): AsyncGenerator<{ path: string; facts: FileFacts | null }[]> {
    for (let start = 0; start < files.length; start += SCAN_BATCH_SIZE) {
      yield Promise.all(
        files.slice(start, start + SCAN_BATCH_SIZE).map(async (path) => ({
          path,
          facts: await this.storage.facts(path),
        })),
      );
    }
  }

  private async *removeInBatches(
    library: string,
    gone: KnownFile[],
  ): AsyncGenerator<MediaRecord[]> {
    for (let start = 0; start < gone.length; start += SCAN_BATCH_SIZE) {
      const ids = gone.slice(start, start + SCAN_BATCH_SIZE).map((file) => file.id);
      yield this.repository.deleteExisting(library, ids);
    }
  }

  private publish(library: string, medias: MediaWithAction[]): void {
    if (medias.length > 0) this.events.medias(library, medias);
  }

  private async describeFailure(library: string, error: unknown): Promise<string> {
    if (!(await this.repository.libraryExists(library).catch(() => true))) {
      return 'the library was deleted';
    }
    return error instanceof Error ? error.message : String(error);
  }

  private view(scan: Scan): ScanStatusDto {
    const { abort: _abort, done: _done, ...status } = scan;
    return { ...status };
  }
}
