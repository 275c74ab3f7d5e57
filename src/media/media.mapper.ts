import type { MediasTable } from '../database/schema.js';
import type { Media } from '../events/events.types.js';

export type MediaRecord = MediasTable;

/** The wire form of a stored media. The server path stays on the server. */
export function toMedia(record: MediaRecord): Media {
  return {
    id: record.id,
    library: record.library_id,
    name: record.name,
    mimetype: record.mimetype,
    size: record.size,
    modified: record.modified,
    added: record.added,
    updated: record.updated,
    origin: record.origin,
    description: record.description,
    durationMs: record.duration_ms,
    width: record.width,
    height: record.height,
    hasFile: record.path !== null,
  };
}
