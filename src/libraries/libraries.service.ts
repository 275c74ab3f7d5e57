import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Observable, Subject } from 'rxjs';
import { realpath, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AccessService } from '../access/access.service.js';
import type { Principal } from '../access/principal.js';
import type { LibraryRole } from '../access/roles.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { EventsPublisher } from '../events/events.publisher.js';
import type { ServerLibrary } from '../events/events.types.js';
import type { CreateLibraryDto, LibraryDto, UpdateLibraryDto } from './libraries.dto.js';
import { type LibraryRecord, LibrariesRepository } from './libraries.repository.js';

export function toServerLibrary(record: LibraryRecord): ServerLibrary {
  return {
    id: record.id,
    name: record.name,
    type: record.type as ServerLibrary['type'],
    root: record.root,
    settings: JSON.parse(record.settings) as Record<string, unknown>,
    createdAt: record.created_at,
    updatedAt: record.updated_at,
  };
}

@Injectable()
export class LibrariesService {
  private readonly deletedLibraries = new Subject<string>();
  /** Ids of libraries once deleted, for work of other domains that must stop with them. */
  readonly deleted$: Observable<string> = this.deletedLibraries.asObservable();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: LibrariesRepository,
    private readonly access: AccessService,
    private readonly events: EventsPublisher,
  ) {}

  /**
   * The library, if the principal holds at least `minimum` on it. A library the principal
   * cannot even read is reported as not found, so that its existence stays hidden.
   */
  async requireRole(
    principal: Principal,
    libraryId: string,
    minimum: LibraryRole,
  ): Promise<LibraryRecord> {
    const library = await this.repository.findById(libraryId);
    if (!library || !principal.canRead(libraryId)) {
      throw new NotFoundException(`Library ${libraryId} not found`);
    }
    if (!principal.hasRole(libraryId, minimum)) {
      throw new ForbiddenException(`This needs the ${minimum} role on library ${libraryId}`);
    }
    return library;
  }

  /**
   * A root as stored: an absolute path that neither lies in nor holds the server's data or
   * backup folder, whose readers could otherwise download the database and the archives.
   */
  private async checkedRoot(root: string): Promise<string> {
    const absolute = resolve(root);
    const real = await realpath(absolute).catch(() => absolute);
    const guardedDirs = [this.config.dataDir, this.config.backupDir].map((dir) => resolve(dir));
    const guardedReals = await Promise.all(
      guardedDirs.map((dir) => realpath(dir).catch(() => dir)),
    );
    for (const [index, guardedDir] of guardedDirs.entries()) {
      for (const [candidate, guarded] of [
        [absolute, guardedDir],
        [real, guardedReals[index]],
      ]) {
        if (isWithin(guarded, candidate) || isWithin(candidate, guarded)) {
          throw new BadRequestException(
            "A library's root may not lie inside the server's data or backup folder, nor hold one",
          );
        }
      }
    }
    return absolute;
  }

  /** Where files of the library live: its root if it has one, else a folder of its own. */
  storageDir(library: LibraryRecord): string {
    return library.root ?? this.managedStorageDir(library.id);
  }

  async create(input: CreateLibraryDto): Promise<ServerLibrary> {
    const now = Date.now();
    const record: LibraryRecord = {
      id: randomUUID(),
      name: input.name,
      type: input.type,
      root: input.root === undefined ? null : await this.checkedRoot(input.root),
      settings: JSON.stringify(input.settings ?? {}),
      credentials: input.credentials === undefined ? null : JSON.stringify(input.credentials),
      created_at: now,
      updated_at: now,
    };
    await this.repository.insert(record);
    const library = toServerLibrary(record);
    this.events.library('Added', library);
    return library;
  }

  async list(principal: Principal): Promise<LibraryDto[]> {
    const libraries = await this.repository.list();
    return libraries
      .filter((library) => principal.canRead(library.id))
      .map((library) => this.view(principal, library));
  }

  async get(principal: Principal, id: string): Promise<LibraryDto> {
    return this.view(principal, await this.requireRole(principal, id, 'read'));
  }

  async update(principal: Principal, id: string, input: UpdateLibraryDto): Promise<LibraryDto> {
    await this.requireRole(principal, id, 'admin');
    if (input.root !== undefined && !principal.isServerAdmin()) {
      throw new ForbiddenException('Only a server admin may set the root of a library');
    }
    const updated = await this.repository.update(id, {
      name: input.name,
      type: input.type,
      root: input.root === undefined ? undefined : await this.checkedRoot(input.root),
      settings: input.settings === undefined ? undefined : JSON.stringify(input.settings),
      credentials: input.credentials === undefined ? undefined : JSON.stringify(input.credentials),
      updated_at: Date.now(),
    });
    if (!updated) throw new NotFoundException(`Library ${id} not found`);
    this.events.library('Updated', toServerLibrary(updated));
    return this.view(principal, updated);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const library = await this.requireRole(principal, id, 'admin');
    this.events.libraryStatus(id, 'Deleting library', 0);
    if (!(await this.repository.delete(id))) throw new NotFoundException(`Library ${id} not found`);
    this.events.libraryStatus(id, 'Library records deleted', 50);
    await rm(this.managedStorageDir(id), { recursive: true, force: true });
    this.events.libraryStatus(id, 'Library deleted', 100);
    // Delivered before the grants go, so that everyone who could read the library hears of it.
    this.events.library('Deleted', toServerLibrary(library));
    await this.events.delivered();
    this.access.removeLibrary(id);
    this.deletedLibraries.next(id);
  }

  async setRole(
    principal: Principal,
    libraryId: string,
    userId: string,
    role: LibraryRole,
  ): Promise<void> {
    await this.requireRole(principal, libraryId, 'admin');
    if (!this.access.hasAccount(userId)) throw new NotFoundException(`User ${userId} not found`);
    await this.repository.setRole(libraryId, userId, role);
    this.access.setGrant(libraryId, userId, role);
  }

  private managedStorageDir(libraryId: string): string {
    return join(this.config.dataDir, 'libraries', libraryId);
  }

  private view(principal: Principal, record: LibraryRecord): LibraryDto {
    const { root, settings, ...visible } = toServerLibrary(record);
    const role = principal.roleIn(record.id);
    return role === 'admin' ? { ...visible, root, settings, role } : { ...visible, role };
  }
}

/** Whether `path` is `folder` or lies below it. */
function isWithin(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
