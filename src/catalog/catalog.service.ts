import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../access/principal.js';
import type { LibraryRole } from '../access/roles.js';
import { violates } from '../database/database-errors.js';
import { EventsPublisher } from '../events/events.publisher.js';
import { LibrariesService } from '../libraries/libraries.service.js';
import { type CatalogItem, type CatalogKind, childrenOf, columnOf } from './catalog-kinds.js';
import type { CatalogInput } from './catalog.dto.js';
import { type CatalogRow, type CatalogScope, CatalogRepository } from './catalog.repository.js';

export function toCatalogItem(kind: CatalogKind, row: CatalogRow): CatalogItem {
  const item: CatalogItem = {
    id: row.id,
    library: row.library_id,
    name: row.name,
    added: row.added,
    updated: row.updated,
  };
  if (kind.parent) item[kind.parent.field] = row[kind.parent.column];
  for (const field of kind.fields) item[field] = row[columnOf(field)] ?? null;
  return item;
}

/** The columns an input sets: only the fields of the kind, only those the input carries. */
function columnsOf(kind: CatalogKind, input: CatalogInput): Partial<CatalogRow> {
  const columns: Partial<CatalogRow> = {};
  if (input.name !== undefined) columns.name = input.name;
  for (const field of kind.fields) {
    const value = input[field];
    if (value !== undefined) Object.assign(columns, { [columnOf(field)]: value });
  }
  return columns;
}

/**
 * Series, episodes, movies, people and tags: one set of rules for every kind. Reads need `read`
 * on the library, changes `write`; each change is committed, then published.
 */
@Injectable()
export class CatalogService {
  constructor(
    private readonly repository: CatalogRepository,
    private readonly libraries: LibrariesService,
    private readonly events: EventsPublisher,
  ) {}

  async create(
    kind: CatalogKind,
    principal: Principal,
    scope: CatalogScope,
    input: CatalogInput & { name: string },
  ): Promise<CatalogItem> {
    await this.requireScope(kind, principal, scope, 'write');
    await this.requireMediaInLibrary(scope.libraryId, input.media);
    const now = Date.now();
    const row: CatalogRow = {
      ...columnsOf(kind, input),
      id: randomUUID(),
      library_id: scope.libraryId,
      name: input.name,
      added: now,
      updated: now,
    };
    if (kind.parent) row[kind.parent.column] = scope.serieId;
    await this.guardConstraints(kind, row.name, () => this.repository.insert(kind, row));
    const item = toCatalogItem(kind, row);
    kind.publish(this.events, scope.libraryId, [{ action: 'Added', item }]);
    return item;
  }

  async list(kind: CatalogKind, principal: Principal, scope: CatalogScope): Promise<CatalogItem[]> {
    await this.requireScope(kind, principal, scope, 'read');
    const rows = await this.repository.list(kind, scope);
    return rows.map((row) => toCatalogItem(kind, row));
  }

  async get(
    kind: CatalogKind,
    principal: Principal,
    scope: CatalogScope,
    id: string,
  ): Promise<CatalogItem> {
    await this.requireScope(kind, principal, scope, 'read');
    const row = await this.repository.find(kind, scope, id);
    if (!row) throw this.notFound(kind, id);
    return toCatalogItem(kind, row);
  }

  async update(
    kind: CatalogKind,
    principal: Principal,
    scope: CatalogScope,
    id: string,
    input: CatalogInput,
  ): Promise<CatalogItem> {
    await this.requireScope(kind, principal, scope, 'write');
    await this.requireMediaInLibrary(scope.libraryId, input.media);
    const changes = { ...columnsOf(kind, input), updated: Date.now() };
    const row = await this.guardConstraints(kind, input.name, () =>
      this.repository.update(kind, scope, id, changes),
    );
    if (!row) throw this.notFound(kind, id);
    const item = toCatalogItem(kind, row);
    kind.publish(this.events, scope.libraryId, [{ action: 'Updated', item }]);
    return item;
  }

  /** Deletes the element and what lives under it (a serie's episodes), then tells of each. */
  async delete(
    kind: CatalogKind,
    principal: Principal,
    scope: CatalogScope,
    id: string,
  ): Promise<void> {
    await this.requireScope(kind, principal, scope, 'write');
    const deleted = await this.repository.deleteWithChildren(kind, scope, id, childrenOf(kind));
    if (!deleted) throw this.notFound(kind, id);
    for (const children of deleted.children) {
      children.kind.publish(
        this.events,
        scope.libraryId,
        children.rows.map((row) => ({
          action: 'Deleted',
          item: toCatalogItem(children.kind, row),
        })),
      );
    }
    kind.publish(this.events, scope.libraryId, [
      { action: 'Deleted', item: toCatalogItem(kind, deleted.row) },
    ]);
  }

  /** The library role, then the parent (a serie of that library) when the kind has one. */
  private async requireScope(
    kind: CatalogKind,
    principal: Principal,
    scope: CatalogScope,
    minimum: LibraryRole,
  ): Promise<void> {
    await this.libraries.requireRole(principal, scope.libraryId, minimum);
    if (!kind.parent) return;
    const parentId = scope.serieId ?? '';
    const parent = await this.repository.find(
      kind.parent.kind,
      { libraryId: scope.libraryId },
      parentId,
    );
    if (!parent) throw this.notFound(kind.parent.kind, parentId);
  }

  private async requireMediaInLibrary(
    libraryId: string,
    mediaId: string | null | undefined,
  ): Promise<void> {
    if (typeof mediaId !== 'string') return;
    if (!(await this.repository.mediaInLibrary(libraryId, mediaId))) {
      throw new BadRequestException(`Media ${mediaId} is not in library ${libraryId}`);
    }
  }

  /** Turns what the database refused into the client's error: a taken name, a vanished link. */
  private async guardConstraints<T>(
    kind: CatalogKind,
    name: string | undefined,
    write: () => Promise<T>,
  ): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (violates(error, 'UNIQUE')) {
        throw new ConflictException(
          `A ${kind.label.toLowerCase()} named "${name}" already exists in this library`,
        );
      }
      if (violates(error, 'FOREIGNKEY')) {
        throw new ConflictException(
          `What this ${kind.label.toLowerCase()} refers to was deleted meanwhile`,
        );
      }
      throw error;
    }
  }

  private notFound(kind: CatalogKind, id: string): NotFoundException {
    return new NotFoundException(`${kind.label} ${id} not found`);
  }
}
