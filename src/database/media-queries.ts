import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Whether the media exists in that library: for domains that refer to medias (catalog links,
 * per-user progress) without depending on the media module.
 */
export async function mediaIsInLibrary(
  db: Kysely<Database>,
  libraryId: string,
  mediaId: string,
): Promise<boolean> {
  const media = await db
    .selectFrom('medias')
    .select('id')
    .where('id', '=', mediaId)
    .where('library_id', '=', libraryId)
    .executeTakeFirst();
  return media !== undefined;
}
