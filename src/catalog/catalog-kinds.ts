import type { EventsPublisher } from '../events/events.publisher.js';
import type { ElementAction, Episode, Movie, Person, Serie, Tag } from '../events/events.types.js';
import type { CatalogInput } from './catalog.dto.js';

export type CatalogTable = 'series' | 'episodes' | 'movies' | 'people' | 'tags';

/** The optional fields of the catalog, as clients name them. */
export type CatalogField = Exclude<keyof CatalogInput, 'name'>;

/** A catalog element as clients see it; timestamps are epoch milliseconds. */
export interface CatalogItem {
  id: string;
  library: string;
  name: string;
  added: number;
  updated: number;
  /** The parent serie, for episodes. */
  serie?: string;
  [field: string]: unknown;
}

export interface CatalogChange {
  action: ElementAction;
  item: CatalogItem;
}

/** Where a kind lives under another one: episodes under a serie. */
export interface CatalogParent {
  kind: CatalogKind;
  /** The column that holds the parent's id, and the field that shows it to clients. */
  column: 'serie_id';
  field: 'serie';
}

/** Everything that tells one kind of catalog element from another; the code is shared. */
export interface CatalogKind {
  table: CatalogTable;
  /** Singular, for messages. */
  label: string;
  fields: readonly CatalogField[];
  parent?: CatalogParent;
  /** The order of a listing. */
  sortBy: readonly ('name' | 'season' | 'number')[];
  publish(events: EventsPublisher, library: string, changes: CatalogChange[]): void;
}

export const SERIES: CatalogKind = {
  table: 'series',
  sortBy: ['name'],
  label: 'Serie',
  fields: ['overview', 'year'],
  publish: (events, library, changes) =>
    events.series(
      library,
      changes.map(({ action, item }) => ({ action, serie: item as Serie })),
    ),
};

export const EPISODES: CatalogKind = {
  table: 'episodes',
  sortBy: ['season', 'number', 'name'],
  label: 'Episode',
  fields: ['season', 'number', 'overview', 'media'],
  parent: { kind: SERIES, column: 'serie_id', field: 'serie' },
  publish: (events, library, changes) =>
    events.episodes(
      library,
      changes.map(({ action, item }) => ({ action, episode: item as Episode })),
    ),
};

export const MOVIES: CatalogKind = {
  table: 'movies',
  sortBy: ['name'],
  label: 'Movie',
  fields: ['overview', 'year', 'media'],
  publish: (events, library, changes) =>
    events.movies(
      library,
      changes.map(({ action, item }) => ({ action, movie: item as Movie })),
    ),
};

export const PEOPLE: CatalogKind = {
  table: 'people',
  sortBy: ['name'],
  label: 'Person',
  fields: ['overview'],
  publish: (events, library, changes) =>
    events.people(
      library,
      changes.map(({ action, item }) => ({ action, person: item as Person })),
    ),
};

export const TAGS: CatalogKind = {
  table: 'tags',
  sortBy: ['name'],
  label: 'Tag',
  fields: [],
  publish: (events, library, changes) =>
    events.tags(
      library,
      changes.map(({ action, item }) => ({ action, tag: item as Tag })),
    ),
};

export const CATALOG_KINDS: readonly CatalogKind[] = [SERIES, EPISODES, MOVIES, PEOPLE, TAGS];

/** The column that stores a field: a link to a media is stored by its id. */
export function columnOf(field: CatalogField): Exclude<CatalogField, 'media'> | 'media_id' {
  return field === 'media' ? 'media_id' : field;
}

/** A kind that lives under another, and the column of it that points at the parent. */
export interface CatalogChildLink {
  kind: CatalogKind;
  column: CatalogParent['column'];
}

/** The kinds that live under `kind`, deleted with it. */
export function childrenOf(kind: CatalogKind): CatalogChildLink[] {
  return CATALOG_KINDS.flatMap((child) =>
    child.parent?.kind === kind ? [{ kind: child, column: child.parent.column }] : [],
  );
}
