import { Injectable } from '@nestjs/common';
import { type Kysely, type RawBuilder, sql, type Updateable } from 'kysely';
import { DatabaseService } from '../database/database.service.js';
import { mediaIsInLibrary } from '../database/media-queries.js';
import type { CatalogChildLink, CatalogKind, CatalogTable } from './catalog-kinds.js';

/** Every column a catalog table may have: each holds the shared ones and some of the others. */
export interface CatalogRow {
  id: string;
  library_id: string;
  name: string;
  added: number;
  updated: number;
  serie_id?: string;
  overview?: string | null;
  year?: number | null;
  season?: number | null;
  number?: number | null;
  media_id?: string | null;
}

type CatalogDatabase = Record<CatalogTable, CatalogRow>;

/** Where elements of a kind live: a library, and for episodes a serie of it. */
export interface CatalogScope {
  libraryId: string;
  serieId?: string;
}

export interface DeletedWithChildren {
  row: CatalogRow;
  children: { kind: CatalogKind; rows: CatalogRow[] }[];
}

@Injectable()
export class CatalogRepository {
  constructor(private readonly database: DatabaseService) {}

  /** The catalog tables share their columns, so one view of them serves every kind. */
  private get db(): Kysely<CatalogDatabase> {
    return this.database.db as unknown as Kysely<CatalogDatabase>;
  }

  /**
   * The same order on both engines: names by code point, and elements without a season or
   * number first (PostgreSQL puts NULLs last by default).
   */
  private sortKey(column: CatalogKind['sortBy'][number]): RawBuilder<unknown> {
    return column === 'name' ? this.database.inCodePointOrder(column) : sql.ref(column);
  }

  async insert(kind: CatalogKind, row: CatalogRow): Promise<void> {
    await this.db.insertInto(kind.table).values(row).execute();
  }

  find(kind: CatalogKind, scope: CatalogScope, id: string): Promise<CatalogRow | undefined> {
    return this.findIn(this.db, kind, scope, id);
  }

  list(kind: CatalogKind, scope: CatalogScope): Promise<CatalogRow[]> {
    return this.db
      .selectFrom(kind.table)
      .selectAll()
      .where('library_id', '=', scope.libraryId)
      .$if(scope.serieId !== undefined, (query) => query.where('serie_id', '=', scope.serieId))
      .$call((query) =>
        kind.sortBy.reduce(
          (sorted, column) =>
            sorted.orderBy(this.sortKey(column), (order) => order.asc().nullsFirst()),
          query,
        ),
      )
      .orderBy('id')
      .execute();
  }

  update(
    kind: CatalogKind,
    scope: CatalogScope,
    id: string,
    changes: Updateable<CatalogRow>,
  ): Promise<CatalogRow | undefined> {
    return this.db
      .updateTable(kind.table)
      .set(changes)
      .where('id', '=', id)
      .where('library_id', '=', scope.libraryId)
      .$if(scope.serieId !== undefined, (query) => query.where('serie_id', '=', scope.serieId))
      .returningAll()
      .executeTakeFirst();
  }

  /** Deletes an element and, through the foreign keys, its children; returns what went. */
  deleteWithChildren(
    kind: CatalogKind,
    scope: CatalogScope,
    id: string,
    children: readonly CatalogChildLink[],
  ): Promise<DeletedWithChildren | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await this.findIn(trx, kind, scope, id);
      if (!row) return undefined;
      const deletedChildren = await Promise.all(
        children.map(async (child) => ({
          kind: child.kind,
          rows: await trx
            .selectFrom(child.kind.table)
            .selectAll()
            .where(child.column, '=', id)
            .execute(),
        })),
      );
      await trx.deleteFrom(kind.table).where('id', '=', id).execute();
      return { row, children: deletedChildren.filter((child) => child.rows.length > 0) };
    });
  }

  private findIn(
    db: Kysely<CatalogDatabase>,
    kind: CatalogKind,
    scope: CatalogScope,
    id: string,
  ): Promise<CatalogRow | undefined> {
    return db
      .selectFrom(kind.table)
      .selectAll()
      .where('id', '=', id)
      .where('library_id', '=', scope.libraryId)
      .$if(scope.serieId !== undefined, (query) => query.where('serie_id', '=', scope.serieId))
      .executeTakeFirst();
  }

  mediaInLibrary(libraryId: string, mediaId: string): Promise<boolean> {
    return mediaIsInLibrary(this.database.db, libraryId, mediaId);
  }
}
