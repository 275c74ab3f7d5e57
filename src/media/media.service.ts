import { BadRequestException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../access/principal.js';
import { EventsPublisher } from '../events/events.publisher.js';
import type { ElementAction, Media } from '../events/events.types.js';
import { LibrariesService } from '../libraries/libraries.service.js';
import { contentRange, decideRange, ifRangeAllows } from './http-range.js';
import { type MediaRecord, toMedia } from './media.mapper.js';
import {
  type CreateMediaDto,
  DEFAULT_PAGE_SIZE,
  type DeleteMediasDto,
  type ListMediasQueryDto,
  type MediaPageDto,
  type UpdateMediaDto,
  type UpdateMediasDto,
} from './media.dto.js';
import {
  type MediaChanges,
  type MediaPosition,
  MediaRepository,
  UnknownMediasError,
} from './media.repository.js';
import { MediaStorage, type OpenedFile } from './media-storage.repository.js';
import { isSafeInline, mimetypeFor } from './mimetypes.js';

/** What the file endpoint sends: a status, headers, and the bytes (none for 416 or HEAD). */
export type FileResponse =
  | {
      status: 200 | 206;
      headers: Record<string, string>;
      body: { file: OpenedFile; start: number; end: number } | null;
    }
  | { status: 416; headers: Record<string, string>; message: string };

/**
 * Files Reelay wrote itself (uploads, conversion outputs) go with their media; files found by
 * a scan belong to whoever put them in the library's root and stay on disk.
 */
const OWNED_ORIGINS: ReadonlySet<MediaRecord['origin']> = new Set(['upload', 'conversion']);

function encodeCursor(position: MediaPosition): string {
  return Buffer.from(`${position.added}.${position.id}`).toString('base64url');
}

function decodeCursor(cursor: string): MediaPosition {
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new BadRequestException('cursor is not one this server gave out');
  return { added: Number(match[1]), id: match[2] };
}

function toChanges(input: UpdateMediaDto, now: number): MediaChanges {
  return {
    name: input.name,
    mimetype: input.mimetype,
    description: input.description,
    duration_ms: input.durationMs,
    width: input.width,
    height: input.height,
    modified: input.modified,
    updated: now,
  };
}

function hasChanges(input: UpdateMediaDto): boolean {
  return Object.values(input).some((value) => value !== undefined);
}

function contentDisposition(name: string, inline: boolean): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

@Injectable()
export class MediaService {
  private readonly logger = new Logger(MediaService.name);

  constructor(
    private readonly libraries: LibrariesService,
    private readonly repository: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly events: EventsPublisher,
  ) {}

  async create(principal: Principal, libraryId: string, input: CreateMediaDto): Promise<Media> {
    await this.libraries.requireRole(principal, libraryId, 'write');
    const now = Date.now();
    const record: MediaRecord = {
      id: randomUUID(),
      library_id: libraryId,
      name: input.name,
      path: null,
      mimetype: input.mimetype ?? mimetypeFor(input.name),
      size: 0,
      modified: input.modified ?? now,
      added: now,
      updated: now,
      origin: 'metadata',
      description: input.description ?? null,
      duration_ms: input.durationMs ?? null,
      width: input.width ?? null,
      height: input.height ?? null,
    };
    if (!(await this.repository.insertIfLibraryExists(record))) {
      throw new NotFoundException(`Library ${record.library_id} not found`);
    }
    const media = toMedia(record);
    this.events.medias(libraryId, [{ action: 'Added', media }]);
    return media;
  }

  async list(
    principal: Principal,
    libraryId: string,
    query: ListMediasQueryDto,
  ): Promise<MediaPageDto> {
    await this.libraries.requireRole(principal, libraryId, 'read');
    if (query.cursor !== undefined && query.offset !== undefined) {
      throw new BadRequestException('Page by offset or by cursor, not both');
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const offset = query.cursor === undefined ? (query.offset ?? 0) : null;
    const [records, total] = await Promise.all([
      this.repository.page(
        libraryId,
        offset === null
          ? { limit, after: decodeCursor(query.cursor as string) }
          : { limit, offset },
      ),
      this.repository.count(libraryId),
    ]);
    const last = records.at(-1);
    return {
      items: records.map(toMedia),
      total,
      limit,
      offset,
      nextCursor: records.length === limit && last ? encodeCursor(last) : null,
    };
  }

  async get(principal: Principal, libraryId: string, mediaId: string): Promise<Media> {
    await this.libraries.requireRole(principal, libraryId, 'read');
    return toMedia(await this.requireMedia(libraryId, mediaId));
  }

  async update(
    principal: Principal,
    libraryId: string,
    mediaId: string,
    input: UpdateMediaDto,
  ): Promise<Media> {
    await this.libraries.requireRole(principal, libraryId, 'write');
    if (!hasChanges(input)) throw new BadRequestException('Nothing to change');
    const [media] = await this.updateAll(libraryId, [
      { id: mediaId, changes: toChanges(input, Date.now()) },
    ]);
    return media;
  }

  async updateMany(
    principal: Principal,
    libraryId: string,
    input: UpdateMediasDto,
  ): Promise<Media[]> {
    await this.libraries.requireRole(principal, libraryId, 'write');
    const now = Date.now();
    if (input.items !== undefined) {
      if (input.ids !== undefined || input.changes !== undefined) {
        throw new BadRequestException('Send either items, or ids with changes; not both');
      }
      const ids = input.items.map((item) => item.id);
      if (new Set(ids).size !== ids.length) {
        throw new BadRequestException('items must name each media once');
      }
      if (!input.items.every((item) => hasChanges(item.changes))) {
        throw new BadRequestException('Every item needs something to change');
      }
      return this.updateAll(
        libraryId,
        input.items.map((item) => ({ id: item.id, changes: toChanges(item.changes, now) })),
      );
    }
    if (input.ids === undefined || input.changes === undefined) {
      throw new BadRequestException('Send ids with changes, or items');
    }
    if (!hasChanges(input.changes)) throw new BadRequestException('Nothing to change');
    const changes = toChanges(input.changes, now);
    return this.updateAll(
      libraryId,
      input.ids.map((id) => ({ id, changes })),
    );
  }

  async delete(principal: Principal, libraryId: string, mediaId: string): Promise<void> {
    await this.deleteMany(principal, libraryId, { ids: [mediaId] });
  }

  async deleteMany(principal: Principal, libraryId: string, input: DeleteMediasDto): Promise<void> {
    await this.libraries.requireRole(principal, libraryId, 'write');
    let deleted: MediaRecord[];
    try {
      deleted = await this.repository.deleteMany(libraryId, input.ids);
    } catch (error) {
      throw this.asNotFound(error);
    }
    await Promise.all(
      deleted
        .filter((record) => record.path !== null && OWNED_ORIGINS.has(record.origin))
        .map((record) =>
          this.storage.removeStoredFile(record.path as string).catch((error: unknown) => {
            this.logger.warn(`Could not remove the file of media ${record.id}: ${String(error)}`);
          }),
        ),
    );
    this.publish(libraryId, 'Deleted', deleted);
  }

  /** The file of a media, whole or the part that `Range` asks for. */
  async file(
    principal: Principal,
    libraryId: string,
    mediaId: string,
    request: { range?: string; ifRange?: string; head: boolean },
  ): Promise<FileResponse> {
    await this.libraries.requireRole(principal, libraryId, 'read');
    const media = await this.requireMedia(libraryId, mediaId);
    if (media.path === null) throw new NotFoundException(`Media ${mediaId} has no file`);
    const file = await this.storage.openFile(media.path);
    if (!file) throw new NotFoundException(`The file of media ${mediaId} is missing`);

    const etag = `"${file.size.toString(16)}-${file.modified.toString(16)}"`;
    const lastModified = new Date(file.modified).toUTCString();
    const decision = ifRangeAllows(request.ifRange, etag, lastModified)
      ? decideRange(request.range, file.size)
      : ({ kind: 'full' } as const);
    const headers: Record<string, string> = {
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Last-Modified': lastModified,
      'Cache-Control': 'private, no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
    };
    if (decision.kind === 'unsatisfiable') {
      await file.close();
      return {
        status: 416,
        headers: { ...headers, 'Content-Range': `bytes */${file.size}` },
        message: `The range is outside the file (${file.size} bytes)`,
      };
    }
    const start = decision.kind === 'partial' ? decision.start : 0;
    const end = decision.kind === 'partial' ? decision.end : file.size - 1;
    headers['Content-Type'] = media.mimetype;
    headers['Content-Length'] = String(end - start + 1);
    headers['Content-Disposition'] = contentDisposition(media.name, isSafeInline(media.mimetype));
    const range = contentRange(decision, file.size);
    if (range !== undefined) headers['Content-Range'] = range;
    if (request.head || end < start) {
      await file.close();
      return { status: decision.kind === 'partial' ? 206 : 200, headers, body: null };
    }
    return {
      status: decision.kind === 'partial' ? 206 : 200,
      headers,
      body: { file, start, end },
    };
  }

  private async requireMedia(libraryId: string, mediaId: string): Promise<MediaRecord> {
    const media = await this.repository.findById(libraryId, mediaId);
    if (!media) throw new NotFoundException(`Media ${mediaId} not found`);
    return media;
  }

  private async updateAll(
    libraryId: string,
    changes: { id: string; changes: MediaChanges }[],
  ): Promise<Media[]> {
    let updated: MediaRecord[];
    try {
      updated = await this.repository.updateMany(libraryId, changes);
    } catch (error) {
      throw this.asNotFound(error);
    }
    return this.publish(libraryId, 'Updated', updated);
  }

  private publish(libraryId: string, action: ElementAction, records: MediaRecord[]): Media[] {
    const medias = records.map(toMedia);
    if (medias.length > 0) {
      this.events.medias(
        libraryId,
        medias.map((media) => ({ action, media })),
      );
    }
    return medias;
  }

  private asNotFound(error: unknown): unknown {
    if (error instanceof UnknownMediasError) {
      return new NotFoundException(
        error.ids.length === 1
          ? `Media ${error.ids[0]} not found`
          : `Medias not found: ${error.ids.join(', ')}`,
      );
    }
    return error;
  }
}
