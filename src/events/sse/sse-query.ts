import { BadRequestException } from '@nestjs/common';
import type { LibraryFilter } from '../audience.js';

export const MAX_FILTER_LIBRARIES = 1000;
export const MAX_LIBRARY_ID_LENGTH = 128;

/**
 * The `libraries` query: comma-separated ids, trimmed, duplicates ignored; absent means every
 * library. Repeated parameters are read as one list.
 */
export function parseLibraryFilter(raw: unknown): LibraryFilter {
  if (raw === undefined) return null;
  const values = Array.isArray(raw) ? raw : [raw];
  if (!values.every((value) => typeof value === 'string')) {
    throw new BadRequestException('libraries must be a comma-separated list of library ids');
  }
  const ids = new Set<string>();
  for (const value of values) {
    for (const part of value.split(',')) {
      const id = part.trim();
      if (id === '') continue;
      if (id.length > MAX_LIBRARY_ID_LENGTH) {
        throw new BadRequestException(
          `libraries: an id is longer than ${MAX_LIBRARY_ID_LENGTH} characters`,
        );
      }
      ids.add(id);
      if (ids.size > MAX_FILTER_LIBRARIES) {
        throw new BadRequestException(
          `libraries: at most ${MAX_FILTER_LIBRARIES} ids may be given`,
        );
      }
    }
  }
  if (ids.size === 0) {
    throw new BadRequestException('libraries must name at least one library id when it is given');
  }
  return ids;
}

/** A resume point from `Last-Event-ID` (header) or `lastEventId` (query); the header wins. */
export function parseLastEventId(header: unknown, query: unknown): number | undefined {
  const raw = header ?? query;
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw.trim())) {
    throw new BadRequestException(
      'Last-Event-ID must be an event id: a whole number of at most 15 digits',
    );
  }
  return Number(raw.trim());
}
