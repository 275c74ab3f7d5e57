import {
  BadRequestException,
  type BeforeApplicationShutdown,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnModuleDestroy,
  type OnModuleInit,
  ServiceUnavailableException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import type { Subscription } from 'rxjs';
import type { Principal } from '../access/principal.js';
import { ShutdownGrace } from '../common/shutdown-grace.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { EventsPublisher } from '../events/events.publisher.js';
import type { LibraryRecord } from '../libraries/libraries.repository.js';
import { LibrariesService } from '../libraries/libraries.service.js';
import {
  CONTAINER_FORMATS,
  type ConversionPlan,
  encodersFor,
  ffmpegArguments,
  planConversion,
} from './conversion-options.js';
import { FfmpegAdapter } from './ffmpeg.adapter.js';
import { conversionPercent } from './ffmpeg-output.js';
import {
  ACCEPTED_CONTAINERS,
  CONTAINER_HEAD_BYTES,
  detectContainer,
  type InputContainer,
} from './media-container.js';
import type { ConversionJobDto, ConvertMediaDto } from './media.dto.js';
import { type MediaRecord, toMedia } from './media.mapper.js';
import { MediaRepository } from './media.repository.js';
import { MediaStorage } from './media-storage.repository.js';
import { fileInside, partialFileName, storedFileName } from './safe-names.js';

type JobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'canceled';

/** How often a running conversion checks that its library still exists. */

interface Job {
  jobId: string;
  library: LibraryRecord;
  mediaId: string;
  plan: ConversionPlan;
  status: JobStatus;
  progress: number;
  outputMediaId: string | null;
  error: string | null;
  queuedAt: number;
  binary: string;
  /** Why and how it was stopped, once it was. */
  stopped: StopOrder | null;
  kill: (() => void) | null;
  settled: Promise<void>;
  settle: () => void;
}

/**
 * Why a job was stopped, shown to clients, and how it ends: `canceled` on purpose (a user, its
 * library deleted), `failed` when the server stopped before it finished.
 */
interface StopOrder {
  reason: string;
  status: 'canceled' | 'failed';
}

/** A job that was stopped; it ends as its order says. */
class JobStopped extends Error {
  constructor(readonly order: StopOrder) {
    super(order.reason);
  }
}

const LIBRARY_DELETED: StopOrder = { reason: 'the library was deleted', status: 'canceled' };

/** A job that failed for a reason worth showing to clients (no server path in it). */
class JobFailed extends Error {}

function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: (() => void) | undefined;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve: resolve as () => void };
}

/** The source's name with the output's extension. */
function outputName(sourceName: string, extension: string): string {
  const stem = sourceName.slice(0, sourceName.length - extname(sourceName).length);
  return `${stem || 'converted'}${extension}`;
}

const isActive = (job: Job | undefined): job is Job =>
  job !== undefined && (job.status === 'queued' || job.status === 'processing');

/**
 * Converts media files with ffmpeg, a few at a time (CONVERT_CONCURRENCY, one by default), the
 * others waiting in line. Each job tells the library's readers how it goes with
 * `convert_progress`; its output becomes a new media of origin `conversion`.
 */
@Injectable()
export class MediaConversionService
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly logger = new Logger(MediaConversionService.name);
  /** The active or latest job of each source media. */
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running = 0;
  private libraryDeletions?: Subscription;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly libraries: LibrariesService,
    private readonly repository: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly ffmpeg: FfmpegAdapter,
    private readonly events: EventsPublisher,
    private readonly grace: ShutdownGrace,
  ) {}

  async enqueue(
    principal: Principal,
    libraryId: string,
    mediaId: string,
    request: ConvertMediaDto,
  ): Promise<ConversionJobDto> {
    this.grace.refuseWhileDraining(
      'The server is shutting down; ask for the conversion again shortly',
    );
    const library = await this.libraries.requireRole(principal, libraryId, 'admin');
    const binary = await this.ffmpeg.locate();
    if (binary === null) {
      throw new ServiceUnavailableException(
        'Conversions need ffmpeg, and this server has none: set FFMPEG_PATH or install ffmpeg',
      );
    }
    const media = await this.repository.findById(libraryId, mediaId);
    if (!media) throw new NotFoundException(`Media ${mediaId} not found`);
    if (media.path === null) {
      throw new BadRequestException(`Media ${mediaId} has no file to convert`);
    }
    const plan = planConversion(request);
    if ('error' in plan) throw new BadRequestException(plan.error);
    if ((await this.containerOf(media.path)) === null) {
      throw new BadRequestException(
        `Media ${mediaId} is not in a container conversions accept (${ACCEPTED_CONTAINERS.join(', ')})`,
      );
    }
    const encoders = await this.ffmpeg.availableEncoders(binary);
    const missing = encodersFor(plan).filter((encoder) => !encoders.has(encoder));
    if (missing.length > 0) {
      throw new BadRequestException(`This server's ffmpeg lacks the ${missing.join(', ')} encoder`);
    }
    if (isActive(this.jobs.get(mediaId))) {
      throw new ConflictException(`Media ${mediaId} is already being converted`);
    }
    const { promise: settled, resolve: settle } = signal();
    const job: Job = {
      jobId: randomUUID(),
      library,
      mediaId,
      plan,
      status: 'queued',
      progress: 0,
      outputMediaId: null,
      error: null,
      queuedAt: Date.now(),
      binary,
      stopped: null,
      kill: null,
      settled,
      settle,
    };
    this.jobs.set(mediaId, job);
    this.queue.push(job);
    this.tell(job);
    const accepted = this.view(job);
    this.startWaiting();
    return accepted;
  }

  async status(
    principal: Principal,
    libraryId: string,
    mediaId: string,
  ): Promise<ConversionJobDto> {
    await this.libraries.requireRole(principal, libraryId, 'read');
    const job = this.jobs.get(mediaId);
    if (!job || job.library.id !== libraryId) {
      throw new NotFoundException(`Media ${mediaId} has not been converted since the start`);
    }
    return this.view(job);
  }

  /** Cancels the media's queued or running conversion; returns once its output is removed. */
  async cancel(principal: Principal, libraryId: string, mediaId: string): Promise<void> {
    await this.libraries.requireRole(principal, libraryId, 'admin');
    const job = this.jobs.get(mediaId);
    if (!isActive(job) || job.library.id !== libraryId) {
      throw new NotFoundException(`No conversion of media ${mediaId} is queued or running`);
    }
    this.stop(job, { reason: 'canceled by a user', status: 'canceled' });
    await job.settled;
  }

  onModuleInit(): void {
    this.libraryDeletions = this.libraries.deleted$.subscribe((libraryId) => {
      for (const job of this.jobs.values()) {
        if (isActive(job) && job.library.id === libraryId) this.stop(job, LIBRARY_DELETED);
      }
    });
  }

  /**
   * The drain begins: no job starts any more, and those waiting in line, which would only start
   * to be stopped, fail now.
   */
  onModuleDestroy(): void {
    this.libraryDeletions?.unsubscribe();
    this.grace.begin();
    const order: StopOrder = {
      reason: 'the server stopped before the conversion started',
      status: 'failed',
    };
    // Each stop takes its job out of the line.
    while (this.queue.length > 0) this.stop(this.queue[0], order);
  }

  /**
   * The running conversions have until the grace ends to finish; those that have not are stopped
   * then (ffmpeg killed, the partial output removed) and end as `failed`, before the database
   * closes.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const running = [...this.jobs.values()].filter(isActive);
    const inTime = await this.grace.within(
      'conversions',
      running.map((job) => job.settled),
    );
    if (inTime) return;
    const unfinished = running.filter(isActive);
    this.logger.warn(
      `Stopping ${unfinished.length} conversions that did not finish within the grace`,
    );
    for (const job of unfinished) {
      this.stop(job, {
        reason: 'the server stopped before the conversion finished',
        status: 'failed',
      });
    }
    await Promise.all(unfinished.map((job) => job.settled));
  }

  private stop(job: Job, order: StopOrder): void {
    job.stopped ??= order;
    const waiting = this.queue.indexOf(job);
    if (waiting >= 0) {
      this.queue.splice(waiting, 1);
      job.error = job.stopped.reason;
      this.finish(job, job.stopped.status);
      return;
    }
    job.kill?.();
  }

  private startWaiting(): void {
    while (!this.grace.draining && this.running < this.config.convertConcurrency) {
      const job = this.queue.shift();
      if (!job) return;
      this.running += 1;
      void this.process(job).finally(() => {
        this.running -= 1;
        this.startWaiting();
      });
    }
  }

  private async process(job: Job): Promise<void> {
    const libraryId = job.library.id;
    let partial: string | null = null;
    let final: string | null = null;
    try {
      job.status = 'processing';
      this.tell(job);
      if (!(await this.repository.libraryExists(libraryId))) throw new JobStopped(LIBRARY_DELETED);
      const source = await this.repository.findById(libraryId, job.mediaId);
      if (!source?.path) throw new JobFailed('the source media is gone');
      if (!(await this.storage.isIntact(source.path))) {
        throw new JobFailed('the source file is missing');
      }
      const folder = await this.storage.libraryFolder(
        this.libraries.storageDir(job.library),
        job.library.root !== null,
      );
      if (folder === null) throw new JobFailed('the root folder of the library is missing');
      const format = CONTAINER_FORMATS[job.plan.container];
      const outputId = randomUUID();
      const name = storedFileName(outputId, format.extension);
      partial = fileInside(folder, partialFileName(name));
      // Checked again: the file may have been replaced since the request.
      const container = await this.containerOf(source.path);
      if (container === null) {
        throw new JobFailed('the source is not in a container conversions accept');
      }
      const input = await this.ffmpeg.probe(job.binary, source.path, container.demuxer);
      if (job.stopped !== null) throw new JobStopped(job.stopped);

      const run = this.ffmpeg.run(
        job.binary,
        ffmpegArguments(job.plan, { path: source.path, demuxer: container.demuxer }, partial),
        (block) => {
          // 100 % is told once the output is a media.
          const percent = Math.min(99, conversionPercent(block.outTimeUs, input.durationMs));
          if (percent > job.progress) {
            job.progress = percent;
            this.tell(job);
          }
        },
      );
      job.kill = run.kill;
      const exit = await run.exited;
      if (job.stopped !== null) throw new JobStopped(job.stopped);
      if (exit.code !== 0) {
        this.logger.warn(`ffmpeg failed on media ${job.mediaId}: ${exit.stderrTail.trim()}`);
        throw new JobFailed(`ffmpeg exited with code ${exit.code ?? exit.signal ?? 'unknown'}`);
      }

      final = fileInside(folder, name);
      await this.storage.moveInto(partial, final);
      partial = null;
      const output = await this.ffmpeg.probe(job.binary, final, format.demuxer);
      const facts = await this.storage.facts(final);
      const now = Date.now();
      const record: MediaRecord = {
        id: outputId,
        library_id: libraryId,
        name: outputName(source.name, format.extension),
        path: final,
        mimetype: format.mimetype,
        size: facts?.size ?? 0,
        modified: facts?.modified ?? now,
        added: now,
        updated: now,
        origin: 'conversion',
        description: null,
        duration_ms: output.durationMs,
        width: output.width,
        height: output.height,
      };
      if (!(await this.repository.insertIfLibraryExists(record))) {
        throw new JobStopped(LIBRARY_DELETED);
      }
      final = null;
      this.events.medias(libraryId, [{ action: 'Added', media: toMedia(record) }]);
      job.outputMediaId = record.id;
      this.finish(job, 'completed');
    } catch (error) {
      if (partial !== null) await this.storage.discard(partial);
      if (final !== null) await this.storage.discard(final);
      if (error instanceof JobStopped) {
        job.error = error.message;
        this.finish(job, error.order.status);
      } else {
        if (!(error instanceof JobFailed)) {
          this.logger.error(`Conversion of media ${job.mediaId} failed: ${String(error)}`);
        }
        // Other errors may name server paths, which readers of the library must not see.
        job.error =
          error instanceof JobFailed ? error.message : 'an internal error (see the server log)';
        this.finish(job, 'failed');
      }
    } finally {
      job.kill = null;
    }
  }

  private finish(job: Job, status: 'completed' | 'failed' | 'canceled'): void {
    job.status = status;
    if (status === 'completed') job.progress = 100;
    this.tell(job);
    job.settle();
  }

  /** The accepted container a stored file is in, from its first bytes; null if none. */
  private async containerOf(path: string): Promise<InputContainer | null> {
    const head = await this.storage.readHead(path, CONTAINER_HEAD_BYTES);
    return head === null ? null : detectContainer(head);
  }

  private tell(job: Job): void {
    this.events.convertProgress({
      library: job.library.id,
      mediaId: job.mediaId,
      progress: job.progress,
      status: job.status,
      jobId: job.jobId,
      ...(job.outputMediaId === null ? {} : { outputMediaId: job.outputMediaId }),
      ...(job.error === null ? {} : { error: job.error }),
    });
  }

  private view(job: Job): ConversionJobDto {
    return {
      jobId: job.jobId,
      library: job.library.id,
      mediaId: job.mediaId,
      status: job.status,
      progress: job.progress,
      ...job.plan,
      outputMediaId: job.outputMediaId,
      error: job.error,
      queuedAt: job.queuedAt,
    };
  }
}
