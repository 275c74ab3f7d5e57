import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { mediaIsInLibrary } from '../database/media-queries.js';
import type { MediaUserDataTable } from '../database/schema.js';

/** The values a user keeps on a media, each stored with the time it was set. */
export type TrackedValue = 'progress' | 'rating';

export interface StoredValue {
  value: number;
  modified: number;
}

type TrackedColumns = Pick<
  MediaUserDataTable,
  'progress' | 'progress_modified' | 'rating' | 'rating_modified'
>;

function columnsFor(tracked: TrackedValue, stored: StoredValue): Partial<TrackedColumns> {
  return tracked === 'progress'
    ? { progress: stored.value, progress_modified: stored.modified }
    : { rating: stored.value, rating_modified: stored.modified };
}

@Injectable()
export class ProgressRepository {
  constructor(private readonly database: DatabaseService) {}

  private get db() {
    return this.database.db;
  }

  mediaInLibrary(libraryId: string, mediaId: string): Promise<boolean> {
    return mediaIsInLibrary(this.db, libraryId, mediaId);
  }

  /** Sets one value of the user's row for the media, creating the row on first use. */
  async set(
    userId: string,
    mediaId: string,
    tracked: TrackedValue,
    stored: StoredValue,
  ): Promise<void> {
    const columns = columnsFor(tracked, stored);
    await this.db
      .insertInto('media_user_data')
      .values({ user_id: userId, media_id: mediaId, ...columns })
      .onConflict((conflict) => conflict.columns(['user_id', 'media_id']).doUpdateSet(columns))
      .execute();
  }

  async get(
    userId: string,
    mediaId: string,
    tracked: TrackedValue,
  ): Promise<StoredValue | undefined> {
    const row = await this.db
      .selectFrom('media_user_data')
      .select([`${tracked} as value`, `${tracked}_modified as modified`])
      .where('user_id', '=', userId)
      .where('media_id', '=', mediaId)
      .executeTakeFirst();
    if (!row || row.value === null || row.modified === null) return undefined;
    return { value: row.value, modified: row.modified };
  }
}
