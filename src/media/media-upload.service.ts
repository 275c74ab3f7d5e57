import {
  BadRequestException,
  type BeforeApplicationShutdown,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../access/principal.js';
import { ShutdownGrace } from '../common/shutdown-grace.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { EventsPublisher } from '../events/events.publisher.js';
import type { Media, UploadProgressMessage } from '../events/events.types.js';
import { LibrariesService } from '../libraries/libraries.service.js';
import { type MediaRecord, toMedia } from './media.mapper.js';
import { MediaRepository } from './media.repository.js';
import { MediaStorage } from './media-storage.repository.js';
import { DEFAULT_MIMETYPE, MIMETYPE_PATTERN, mimetypeFor } from './mimetypes.js';
import { type FileStart, MultipartAdapter } from './multipart.adapter.js';
import { ProgressThrottle } from './progress-throttle.js';
import {
  fileInside,
  mediaLabel,
  partialFileName,
  safeExtension,
  storedFileName,
} from './safe-names.js';

/** Room for the multipart framing and the small text fields around the file. */
const MULTIPART_ALLOWANCE = 64 * 1024;
const UPLOAD_FIELDS: ReadonlySet<string> = new Set(['name', 'description', 'size']);
const MAX_DESCRIPTION_LENGTH = 10_000;

/** One upload in flight: where its bytes go and what its progress events say. */
interface UploadTarget {
  partial: string;
  final: string;
  label: string;
  declaredSize: number | null;
  writer: WriteStream;
  throttle: ProgressThrottle;
}

/** An upload in flight: how to stop it, and when it has ended, either way. */
interface InFlight {
  stop: AbortController;
  ended: Promise<unknown>;
}

function contentLengthOf(request: IncomingMessage): number | null {
  const header = request.headers['content-length'];
  return header !== undefined && /^\d{1,16}$/.test(header) ? Number(header) : null;
}

@Injectable()
export class MediaUploadService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MediaUploadService.name);
  private readonly inFlight = new Set<InFlight>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly libraries: LibrariesService,
    private readonly repository: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly multipart: MultipartAdapter,
    private readonly events: EventsPublisher,
    private readonly grace: ShutdownGrace,
  ) {}

  /**
   * Streams the request's file into the library's storage under a generated name, then
   * registers it. Until the media row is committed the file carries a dot-name that scans
   * skip; any failure, including the client going away, removes it. While the server stops, no
   * upload starts (503).
   */
  async receive(principal: Principal, libraryId: string, request: IncomingMessage): Promise<Media> {
    this.grace.refuseWhileDraining('The server is shutting down; upload the file again shortly');
    const stop = new AbortController();
    const stored = this.store(principal, libraryId, request, stop.signal);
    const upload: InFlight = { stop, ended: stored.catch(() => undefined) };
    this.inFlight.add(upload);
    try {
      return await stored;
    } finally {
      this.inFlight.delete(upload);
    }
  }

  /**
   * The uploads in flight when the server stops have until the grace ends to finish. Those that
   * have not are stopped then, before the database closes: they leave no file and no media, their
   * clients get 503 (if still connected) and the library's readers `upload_progress` `failed`.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const uploads = [...this.inFlight];
    const inTime = await this.grace.within(
      'uploads',
      uploads.map((upload) => upload.ended),
    );
    if (inTime) return;
    const unfinished = [...this.inFlight];
    this.logger.warn(`Stopping ${unfinished.length} uploads that did not finish within the grace`);
    for (const upload of unfinished) {
      upload.stop.abort(
        this.grace.refusal('The server stopped before the upload was complete; send it again'),
      );
    }
    await Promise.all(unfinished.map((upload) => upload.ended));
  }

  private async store(
    principal: Principal,
    libraryId: string,
    request: IncomingMessage,
    signal: AbortSignal,
  ): Promise<Media> {
    const library = await this.libraries.requireRole(principal, libraryId, 'write');
    const maxBytes = this.config.uploadMaxBytes;
    const contentLength = contentLengthOf(request);
    if (contentLength !== null && contentLength > maxBytes + MULTIPART_ALLOWANCE) {
      throw new PayloadTooLargeException(`The file is larger than ${maxBytes} bytes`);
    }
    const folder = await this.storage.libraryFolder(
      this.libraries.storageDir(library),
      library.root !== null,
    );
    if (folder === null) {
      throw new ConflictException('The root folder of this library is missing');
    }
    const mediaId = randomUUID();
    let target: UploadTarget | undefined;
    let receivedBytes = 0;
    let moved = false;

    try {
      const received = await this.multipart.receiveFile(request, {
        maxFileBytes: maxBytes,
        fieldNames: UPLOAD_FIELDS,
        maxFieldBytes: MAX_DESCRIPTION_LENGTH * 4,
        signal,
        onFileStart: (start) => {
          target = this.startTarget(folder, mediaId, start, contentLength);
          target.throttle.pass(0);
          this.progress(libraryId, mediaId, target, 0, 'uploading');
          return target.writer;
        },
        onBytes: (bytes) => {
          receivedBytes = bytes;
          // The last step, 100 %, is told once the media exists.
          if (target?.throttle.pass(bytes) && target.throttle.percent(bytes) < 100) {
            this.progress(libraryId, mediaId, target, bytes, 'uploading');
          }
        },
      });
      const file = target as UploadTarget;
      if (file.declaredSize !== null && file.declaredSize !== received.bytes) {
        throw new BadRequestException(
          `The file has ${received.bytes} bytes, not the ${file.declaredSize} announced`,
        );
      }
      const description = received.fields.description;
      if (description !== undefined && description.length > MAX_DESCRIPTION_LENGTH) {
        throw new BadRequestException(`description is longer than ${MAX_DESCRIPTION_LENGTH}`);
      }
      const label =
        received.fields.name === undefined ? file.label : mediaLabel(received.fields.name);
      await this.storage.moveInto(file.partial, file.final);
      moved = true;
      const facts = await this.storage.facts(file.final);
      const now = Date.now();
      const record: MediaRecord = {
        id: mediaId,
        library_id: libraryId,
        name: label,
        path: file.final,
        mimetype: this.mimetypeOf(label, received.clientName, received.declaredMimetype),
        size: received.bytes,
        modified: facts?.modified ?? now,
        added: now,
        updated: now,
        origin: 'upload',
        description: description ?? null,
        duration_ms: null,
        width: null,
        height: null,
      };
      if (!(await this.repository.insertIfLibraryExists(record))) {
        throw new NotFoundException(`Library ${record.library_id} not found`);
      }
      this.progress(libraryId, mediaId, { ...file, label }, received.bytes, 'completed');
      const media = toMedia(record);
      this.events.medias(libraryId, [{ action: 'Added', media }]);
      return media;
    } catch (error) {
      if (target) {
        if (!target.writer.closed) await finished(target.writer).catch(() => undefined);
        await this.storage.discard(moved ? target.final : target.partial);
        this.progress(libraryId, mediaId, target, receivedBytes, 'failed');
      }
      throw error;
    }
  }

  private startTarget(
    folder: string,
    mediaId: string,
    start: FileStart,
    contentLength: number | null,
  ): UploadTarget {
    const declaredSize = this.declaredSize(start.fields.size);
    const label = mediaLabel(start.fields.name ?? start.clientName);
    const extension = safeExtension(start.clientName) || safeExtension(label);
    const stored = storedFileName(mediaId, extension);
    const partial = fileInside(folder, partialFileName(stored));
    return {
      partial,
      final: fileInside(folder, stored),
      label,
      declaredSize,
      writer: this.storage.createFile(partial),
      // The request length slightly overstates the file, which only makes progress cautious.
      throttle: new ProgressThrottle(declaredSize ?? contentLength),
    };
  }

  private declaredSize(raw: string | undefined): number | null {
    if (raw === undefined) return null;
    if (!/^\d{1,16}$/.test(raw)) throw new BadRequestException('size must be a number of bytes');
    const size = Number(raw);
    if (size > this.config.uploadMaxBytes) {
      throw new PayloadTooLargeException(
        `The file is larger than ${this.config.uploadMaxBytes} bytes`,
      );
    }
    return size;
  }

  private mimetypeOf(label: string, clientName: string, declared: string): string {
    const guessed = [clientName, label].map(mimetypeFor).find((type) => type !== DEFAULT_MIMETYPE);
    if (guessed !== undefined) return guessed;
    return MIMETYPE_PATTERN.test(declared) ? declared.toLowerCase() : DEFAULT_MIMETYPE;
  }

  private progress(
    libraryId: string,
    mediaId: string,
    target: Pick<UploadTarget, 'label' | 'declaredSize' | 'throttle'>,
    receivedBytes: number,
    status: NonNullable<UploadProgressMessage['status']>,
  ): void {
    const progress = status === 'completed' ? 100 : target.throttle.percent(receivedBytes);
    this.events.uploadProgress({
      library: libraryId,
      mediaId,
      progress,
      name: target.label,
      receivedBytes,
      totalBytes: status === 'completed' ? receivedBytes : target.declaredSize,
      status,
    });
  }
}
