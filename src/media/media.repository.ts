import { Injectable } from '@nestjs/common';
import type { Updateable } from 'kysely';
import { DatabaseService } from '../database/database.service.js';
import type { MediasTable } from '../database/schema.js';
import type { MediaRecord } from './media.mapper.js';

export type MediaChanges = Updateable<Omit<MediasTable, 'id' | 'library_id'>>;

export interface MediaPosition {
  added: number;
  id: string;
}

export type PageRequest =
  { limit: number; offset: number } | { limit: number; after: MediaPosition };

/** What a scan needs to know of a media it may have registered before. */
export interface KnownFile {
  id: string;
  path: string;
  size: number;
  modified: number;
}

export class UnknownMediasError extends Error {
  constructor(readonly ids: string[]) {
    super(`Unknown medias: ${ids.join(', ')}`);
  }
}

@Injectable()
export class MediaRepository {
  constructor(private readonly database: DatabaseService) {}

  private get db() {
    return this.database.db;
  }

  async insert(record: MediaRecord): Promise<void> {
    await this.db.insertInto('medias').values(record).execute();
  }

  /**
   * Inserts the media; false when its library was deleted meanwhile (the foreign key refused
   * the row), which callers report in their own terms. Any other failure is thrown.
   */
  async insertIfLibraryExists(record: MediaRecord): Promise<boolean> {
    try {
      await this.insert(record);
      return true;
    } catch (error) {
      if (await this.libraryExists(record.library_id)) throw error;
      return false;
    }
  }

  findById(libraryId: string, id: string): Promise<MediaRecord | undefined> {
    return this.db
      .selectFrom('medias')
      .selectAll()
      .where('library_id', '=', libraryId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async count(libraryId: string): Promise<number> {
    const row = await this.db
      .selectFrom('medias')
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .where('library_id', '=', libraryId)
      .executeTakeFirstOrThrow();
    return row.total;
  }

  /** One page in the order medias were added (ties by id), by offset or after a position. */
  page(libraryId: string, request: PageRequest): Promise<MediaRecord[]> {
    let query = this.db
      .selectFrom('medias')
      .selectAll()
      .where('library_id', '=', libraryId)
      .orderBy('added')
      .orderBy('id')
      .limit(request.limit);
    if ('after' in request) {
      const { added, id } = request.after;
      query = query.where((eb) =>
        eb.or([eb('added', '>', added), eb.and([eb('added', '=', added), eb('id', '>', id)])]),
      );
    } else {
      query = query.offset(request.offset);
    }
    return query.execute();
  }

  /**
   * Applies each change set in one transaction: either every media exists in the library and is
   * changed, or none is (UnknownMediasError names the missing ones).
   */
  async updateMany(
    libraryId: string,
    changes: { id: string; changes: MediaChanges }[],
  ): Promise<MediaRecord[]> {
    return this.db.transaction().execute(async (trx) => {
      const records = await Promise.all(
        changes.map((change) =>
          trx
            .updateTable('medias')
            .set(change.changes)
            .where('library_id', '=', libraryId)
            .where('id', '=', change.id)
            .returningAll()
            .executeTakeFirst(),
        ),
      );
      const missing = changes.filter((_change, index) => !records[index]).map(({ id }) => id);
      if (missing.length > 0) throw new UnknownMediasError(missing);
      return records as MediaRecord[];
    });
  }

  /** Deletes all of them or, if one is not in the library, none (UnknownMediasError). */
  async deleteMany(libraryId: string, ids: string[]): Promise<MediaRecord[]> {
    return this.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('medias')
        .where('library_id', '=', libraryId)
        .where('id', 'in', ids)
        .returningAll()
        .execute();
      if (deleted.length !== ids.length) {
        const found = new Set(deleted.map((record) => record.id));
        throw new UnknownMediasError(ids.filter((id) => !found.has(id)));
      }
      return deleted;
    });
  }

  /** Medias of the library with a file somewhere under `folder` (a real path, no trailing /). */
  async filesUnder(libraryId: string, folder: string): Promise<KnownFile[]> {
    const base = folder.endsWith('/') ? folder.slice(0, -1) : folder;
    // Paths inside `base/` sort between `base/` and `base0`, '0' being the character after '/'.
    const rows = await this.db
      .selectFrom('medias')
      .select(['id', 'path', 'size', 'modified'])
      .where('library_id', '=', libraryId)
      .where(this.database.inCodePointOrder('path'), '>=', `${base}/`)
      .where(this.database.inCodePointOrder('path'), '<', `${base}0`)
      .execute();
    return rows.filter((row): row is KnownFile => row.path !== null);
  }

  /**
   * A scan's batch in one transaction. A file registered meanwhile by an upload or a conversion
   * is left to them (the insert yields nothing for it); a media deleted meanwhile stays deleted.
   */
  async applyScanBatch(
    added: MediaRecord[],
    updated: { id: string; size: number; modified: number; updated: number }[],
  ): Promise<{ added: MediaRecord[]; updated: MediaRecord[] }> {
    return this.db.transaction().execute(async (trx) => {
      const inserted =
        added.length === 0
          ? []
          : await trx
              .insertInto('medias')
              .values(added)
              .onConflict((conflict) => conflict.columns(['library_id', 'path']).doNothing())
              .returningAll()
              .execute();
      const changed = await Promise.all(
        updated.map((change) =>
          trx
            .updateTable('medias')
            .set({ size: change.size, modified: change.modified, updated: change.updated })
            .where('id', '=', change.id)
            .returningAll()
            .executeTakeFirst(),
        ),
      );
      return {
        added: inserted,
        updated: changed.filter((record): record is MediaRecord => record !== undefined),
      };
    });
  }

  /** Deletes the medias that still exist among `ids`; returns those it deleted. */
  deleteExisting(libraryId: string, ids: string[]): Promise<MediaRecord[]> {
    return this.db
      .deleteFrom('medias')
      .where('library_id', '=', libraryId)
      .where('id', 'in', ids)
      .returningAll()
      .execute();
  }

  async libraryExists(libraryId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('libraries')
      .select('id')
      .where('id', '=', libraryId)
      .executeTakeFirst();
    return row !== undefined;
  }
}
