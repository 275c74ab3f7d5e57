import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.js';
import * as medias from './0002-medias.js';

/** Every migration, by name; names sort in the order they apply. Add new ones at the end. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-medias': medias,
};
