import { randomUUID } from 'node:crypto';
import type { MediasTable } from '../../src/database/schema.js';

/**
 * A `medias` row to insert through DatabaseService, for tests of domains that refer to medias
 * without going through the media module.
 */
export function mediaRow(libraryId: string, overrides: Partial<MediasTable> = {}): MediasTable {
  const now = Date.now();
  return {
    id: randomUUID(),
    library_id: libraryId,
    name: 'film.mp4',
    path: null,
    mimetype: 'video/mp4',
    size: 0,
    modified: now,
    added: now,
    updated: now,
    origin: 'metadata',
    description: null,
    duration_ms: null,
    width: null,
    height: null,
    ...overrides,
  };
}
