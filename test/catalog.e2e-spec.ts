import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../src/database/database.service.js';
import { expectOnlySentinel, openStream } from './support/event-streams.js';
import { mediaRow } from './support/media-rows.js';
import type { RecordingEventSource } from './support/sse-client.js';
import {
  createLibraryCast,
  createTestApp,
  type TestApp,
  type TestUser,
} from './support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CATALOG_EVENTS = ['series', 'episodes', 'movies', 'people', 'tags'];

type Item = Record<string, unknown> & { id: string };

describe('catalog', () => {
  let t: TestApp;
  let database: DatabaseService;
  let library: string;
  let otherLibrary: string;
  let writer: TestUser;
  let reader: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    database = t.app.get(DatabaseService);
    ({ library, otherLibrary, writer, reader, outsider } = await createLibraryCast(
      t,
      { name: 'Shows', type: 'shows' },
      { type: 'movies' },
    ));
  });
  afterAll(() => t.close());

  /** A tag in the library the outsider can read: the event that must come alone. */
  const sentinel = async (stream: RecordingEventSource) => {
    const name = `sentinel-${randomUUID()}`;
    await t.as(t.admin).post(`/libraries/${otherLibrary}/tags`).send({ name }).expect(201);
    await expectOnlySentinel(
      stream,
      (event) =>
        event.type === 'tags' &&
        JSON.stringify(event.data).includes(name) &&
        JSON.stringify(event.data).includes(otherLibrary),
    );
  };

  const countSeries = async () =>
    (
      await database.db
        .selectFrom('series')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow()
    ).count;

  const rowOf = (table: 'series' | 'movies' | 'people' | 'tags' | 'episodes', id: string) =>
    database.db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst();

  const KINDS = [
    {
      path: 'series',
      event: 'series',
      key: 'Series',
      element: 'serie',
      create: { name: 'The Expanse', year: 2015, overview: 'Space.' },
      update: { name: 'The Expanse (2015)', overview: null },
      stored: { name: 'The Expanse (2015)', year: 2015, overview: null },
    },
    {
      path: 'movies',
      event: 'movies',
      key: 'Movies',
      element: 'movie',
      create: { name: 'Alien', year: 1979 },
      update: { year: 1980 },
      stored: { name: 'Alien', year: 1980, overview: null, media_id: null },
    },
    {
      path: 'people',
      event: 'people',
      key: 'People',
      element: 'person',
      create: { name: 'Sigourney Weaver', overview: 'Actor.' },
      update: { name: 'Sigourney Weaver Jr' },
      stored: { name: 'Sigourney Weaver Jr', overview: 'Actor.' },
    },
    {
      path: 'tags',
      event: 'tags',
      key: 'Tags',
      element: 'tag',
      create: { name: 'favorite' },
      update: { name: 'favourite' },
      stored: { name: 'favourite' },
    },
  ] as const;

  it.each(KINDS)(
    '$path: create, list, get, update and delete, each stored and told to readers only',
    async (kind) => {
      const readerStream = await openStream(t, reader, CATALOG_EVENTS);
      const outsiderStream = await openStream(t, outsider, CATALOG_EVENTS);
      const base = `/libraries/${library}/${kind.path}`;

      const created = await t.as(writer).post(base).send(kind.create).expect(201);
      const item = created.body as Item;
      expect(item).toMatchObject({ ...kind.create, id: expect.stringMatching(UUID), library });
      expect(item.added).toEqual(expect.any(Number));
      expect(await rowOf(kind.path, item.id)).toMatchObject({ library_id: library });
      const [added] = await readerStream.waitFor(1);
      expect(added).toMatchObject({ type: kind.event });
      expect(added.data).toEqual({
        [kind.key]: { library, [kind.path]: [{ action: 'Added', [kind.element]: item }] },
      });

      expect((await t.as(reader).get(base).expect(200)).body).toEqual([item]);
      expect((await t.as(reader).get(`${base}/${item.id}`).expect(200)).body).toEqual(item);

      const updated = await t.as(writer).patch(`${base}/${item.id}`).send(kind.update).expect(200);
      expect(updated.body).toMatchObject({ ...kind.update, id: item.id });
      expect(await rowOf(kind.path, item.id)).toMatchObject(kind.stored);
      const [, changed] = await readerStream.waitFor(2);
      expect(changed.data).toEqual({
        [kind.key]: { library, [kind.path]: [{ action: 'Updated', [kind.element]: updated.body }] },
      });

      await t.as(writer).delete(`${base}/${item.id}`).expect(204);
      expect(await rowOf(kind.path, item.id)).toBeUndefined();
      const [, , deleted] = await readerStream.waitFor(3);
      expect(deleted.data).toEqual({
        [kind.key]: { library, [kind.path]: [{ action: 'Deleted', [kind.element]: updated.body }] },
      });
      await t.as(reader).get(`${base}/${item.id}`).expect(404);

      await sentinel(outsiderStream);
      expect(readerStream.events).toHaveLength(3);
      readerStream.close();
      outsiderStream.close();
    },
  );

  it('keeps episodes under their serie, and deleting the serie deletes them in one message', async () => {
    const readerStream = await openStream(t, reader, CATALOG_EVENTS);
    const outsiderStream = await openStream(t, outsider, CATALOG_EVENTS);
    const serie = (
      await t.as(writer).post(`/libraries/${library}/series`).send({ name: 'Dark' }).expect(201)
    ).body as Item;
    const episodes = `/libraries/${library}/series/${serie.id}/episodes`;
    const second = (
      await t.as(writer).post(episodes).send({ name: 'Lies', season: 1, number: 2 }).expect(201)
    ).body as Item;
    const first = (
      await t
        .as(writer)
        .post(episodes)
        .send({ name: 'Secrets', season: 1, number: 1, overview: 'A boy vanishes.' })
        .expect(201)
    ).body as Item;
    expect(first).toMatchObject({ serie: serie.id, library, season: 1, number: 1, media: null });
    expect(await rowOf('episodes', first.id)).toMatchObject({
      serie_id: serie.id,
      library_id: library,
      name: 'Secrets',
    });
    const events = await readerStream.waitFor(3);
    expect(events[2]).toMatchObject({
      type: 'episodes',
      data: { Episodes: { library, episodes: [{ action: 'Added', episode: first }] } },
    });

    const listed = await t.as(reader).get(episodes).expect(200);
    expect((listed.body as Item[]).map((episode) => episode.name)).toEqual(['Secrets', 'Lies']);

    const renamed = await t
      .as(writer)
      .patch(`${episodes}/${second.id}`)
      .send({ name: 'Lies (part 2)' })
      .expect(200);
    expect(renamed.body).toMatchObject({ name: 'Lies (part 2)', serie: serie.id });
    const afterRename = await readerStream.waitFor(4);
    expect(afterRename[3].data).toEqual({
      Episodes: { library, episodes: [{ action: 'Updated', episode: renamed.body }] },
    });

    const pilot = (
      await t.as(writer).post(episodes).send({ name: 'Pilot', season: 0, number: 0 }).expect(201)
    ).body as Item;
    expect((await t.as(reader).get(`${episodes}/${pilot.id}`).expect(200)).body).toEqual(pilot);
    await t.as(writer).delete(`${episodes}/${pilot.id}`).expect(204);
    expect(await rowOf('episodes', pilot.id)).toBeUndefined();
    const afterPilot = await readerStream.waitFor(6);
    expect(afterPilot[5].data).toEqual({
      Episodes: { library, episodes: [{ action: 'Deleted', episode: pilot }] },
    });
    await t.as(reader).get(`${episodes}/${pilot.id}`).expect(404);

    await t.as(writer).delete(`/libraries/${library}/series/${serie.id}`).expect(204);
    expect(await rowOf('series', serie.id)).toBeUndefined();
    expect(await rowOf('episodes', first.id)).toBeUndefined();
    expect(await rowOf('episodes', second.id)).toBeUndefined();
    const afterDelete = await readerStream.waitFor(8);
    expect(afterDelete[6]).toMatchObject({ type: 'episodes' });
    const deletedEpisodes = (afterDelete[6].data as { Episodes: { episodes: unknown[] } }).Episodes;
    expect(deletedEpisodes.episodes).toEqual(
      expect.arrayContaining([
        { action: 'Deleted', episode: first },
        { action: 'Deleted', episode: renamed.body },
      ]),
    );
    expect(deletedEpisodes.episodes).toHaveLength(2);
    expect(afterDelete[7].data).toEqual({
      Series: { library, series: [{ action: 'Deleted', serie }] },
    });
    await t.as(reader).get(episodes).expect(404);

    await sentinel(outsiderStream);
    readerStream.close();
    outsiderStream.close();
  });

  it('lists in the same order on every engine: names by code point, no season or number first', async () => {
    const people = `/libraries/${library}/people`;
    for (const name of ['banana', 'Éclair', 'apple', 'Zed']) {
      // oxlint-disable-next-line no-await-in-loop -- created one after another
      await t.as(writer).post(people).send({ name }).expect(201);
    }
    const listedPeople = (await t.as(reader).get(people).expect(200)).body as Item[];
    expect(listedPeople.map((person) => person.name)).toEqual(['Zed', 'apple', 'banana', 'Éclair']);

    const serie = (
      await t.as(writer).post(`/libraries/${library}/series`).send({ name: 'Order' }).expect(201)
    ).body as Item;
    const episodes = `/libraries/${library}/series/${serie.id}/episodes`;
    for (const episode of [
      { name: 'One', season: 1, number: 1 },
      { name: 'Special', season: 1 },
      { name: 'Pilot' },
    ]) {
      // oxlint-disable-next-line no-await-in-loop -- created one after another
      await t.as(writer).post(episodes).send(episode).expect(201);
    }
    const listedEpisodes = (await t.as(reader).get(episodes).expect(200)).body as Item[];
    expect(listedEpisodes.map((episode) => episode.name)).toEqual(['Pilot', 'Special', 'One']);
  });

  it('needs write to change, read to look, and hides libraries a user cannot read', async () => {
    const tag = (
      await t.as(writer).post(`/libraries/${library}/tags`).send({ name: 'rights' }).expect(201)
    ).body as Item;
    const tags = `/libraries/${library}/tags`;

    await t.as(reader).post(tags).send({ name: 'nope' }).expect(403);
    await t.as(reader).patch(`${tags}/${tag.id}`).send({ name: 'nope' }).expect(403);
    await t.as(reader).delete(`${tags}/${tag.id}`).expect(403);
    await t.as(reader).get(`${tags}/${tag.id}`).expect(200);

    await t.as(outsider).get(tags).expect(404);
    await t.as(outsider).get(`${tags}/${tag.id}`).expect(404);
    await t.as(outsider).post(tags).send({ name: 'nope' }).expect(404);
    await t.as(outsider).delete(`${tags}/${tag.id}`).expect(404);

    // A server admin holds every library without a grant.
    await t.as(t.admin).patch(`${tags}/${tag.id}`).send({ name: 'admin-renamed' }).expect(200);
    expect(await rowOf('tags', tag.id)).toMatchObject({ name: 'admin-renamed' });
    const names = await database.db
      .selectFrom('tags')
      .select('name')
      .where('library_id', '=', library)
      .execute();
    expect(names.map((row) => row.name)).not.toContain('nope');
  });

  it('answers unknown ids with 404 and bad input with 400, changing nothing', async () => {
    const serie = (
      await t.as(writer).post(`/libraries/${library}/series`).send({ name: 'Kept' }).expect(201)
    ).body as Item;
    const base = `/libraries/${library}/series`;

    await t.as(writer).get(`/libraries/${randomUUID()}/series`).expect(404);
    await t.as(writer).get(`${base}/${randomUUID()}`).expect(404);
    await t.as(writer).patch(`${base}/${randomUUID()}`).send({ name: 'x' }).expect(404);
    await t.as(writer).delete(`${base}/${randomUUID()}`).expect(404);
    await t
      .as(writer)
      .post(`/libraries/${library}/series/${randomUUID()}/episodes`)
      .send({ name: 'x' })
      .expect(404);
    const foreignSerie = (
      await t
        .as(t.admin)
        .post(`/libraries/${otherLibrary}/series`)
        .send({ name: 'Far' })
        .expect(201)
    ).body as Item;
    const before = await countSeries();
    await t.as(writer).get(`/libraries/${library}/series/${foreignSerie.id}/episodes`).expect(404);

    await t.as(writer).get(`${base}/not-a-uuid`).expect(400);
    await t.as(writer).get(`/libraries/not-a-uuid/series`).expect(400);
    await t.as(writer).get(`/libraries/${library}/series/not-a-uuid/episodes`).expect(400);

    const badBodies: unknown[] = [
      {},
      { name: '' },
      { name: 42 },
      { name: 'x', year: '2015' },
      { name: 'x', year: 20150 },
      { name: 'x', unknown: true },
      [{ name: 'x' }],
    ];
    const responses = await Promise.all(
      badBodies.map((body) =>
        t
          .as(writer)
          .post(base)
          .send(body as object),
      ),
    );
    for (const response of responses) {
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    await t.as(writer).patch(`${base}/${serie.id}`).send({ name: null }).expect(400);
    await t.as(writer).patch(`${base}/${serie.id}`).send({ year: 1.5 }).expect(400);
    expect(await rowOf('series', serie.id)).toMatchObject({ name: 'Kept', year: null });
    expect(await countSeries()).toBe(before);
  });

  it('links a movie to a media of its library only, and refuses a second tag of one name', async () => {
    const own = mediaRow(library);
    const foreign = mediaRow(otherLibrary);
    await database.db.insertInto('medias').values([own, foreign]).execute();
    const movies = `/libraries/${library}/movies`;

    await t.as(writer).post(movies).send({ name: 'Alien', media: foreign.id }).expect(400);
    await t.as(writer).post(movies).send({ name: 'Alien', media: 'nope' }).expect(400);
    const movie = (
      await t.as(writer).post(movies).send({ name: 'Alien', media: own.id }).expect(201)
    ).body as Item;
    expect(movie.media).toBe(own.id);
    expect(await rowOf('movies', movie.id)).toMatchObject({ media_id: own.id });
    const unlinked = await t.as(writer).patch(`${movies}/${movie.id}`).send({ media: null });
    expect(unlinked.status).toBe(200);
    expect(unlinked.body).toMatchObject({ media: null });

    const tags = `/libraries/${library}/tags`;
    await t.as(writer).post(tags).send({ name: 'unique' }).expect(201);
    const duplicate = await t.as(writer).post(tags).send({ name: 'unique' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    // The same name in another library is another tag.
    await t
      .as(t.admin)
      .post(`/libraries/${otherLibrary}/tags`)
      .send({ name: 'unique' })
      .expect(201);
  });
});
