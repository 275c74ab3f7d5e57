import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../src/database/database.service.js';
import { expectOnlySentinel, openStream } from './support/event-streams.js';
import { mediaRow } from './support/media-rows.js';
import { createTestApp, type TestApp, type TestUser } from './support/test-app.js';

const OWNER_EVENTS = ['media_progress', 'media_rating'];

describe('playback progress and ratings', () => {
  let t: TestApp;
  let database: DatabaseService;
  let library: string;
  let media: string;
  let foreignMedia: string;
  let viewer: TestUser;
  let other: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    database = t.app.get(DatabaseService);
    library = await t.createLibrary({ name: 'Films', type: 'movies' });
    const otherLibrary = await t.createLibrary({ name: 'Elsewhere', type: 'movies' });
    const own = mediaRow(library);
    const foreign = mediaRow(otherLibrary);
    await database.db.insertInto('medias').values([own, foreign]).execute();
    media = own.id;
    foreignMedia = foreign.id;
    [viewer, other, outsider] = await Promise.all([t.createUser(), t.createUser(), t.createUser()]);
    await t.grant(library, viewer.id, 'read');
    await t.grant(library, other.id, 'write');
  });
  afterAll(() => t.close());

  const pathOf = (value: 'progress' | 'rating', mediaId = media, libraryId = library) =>
    `/libraries/${libraryId}/medias/${mediaId}/${value}`;
  const storedFor = (userId: string) =>
    database.db
      .selectFrom('media_user_data')
      .selectAll()
      .where('user_id', '=', userId)
      .where('media_id', '=', media)
      .execute();

  /** The user sets their own value: that event, and only it, must reach them. */
  const ownEventOnly = async (stream: Awaited<ReturnType<typeof openStream>>, user: TestUser) => {
    await t.as(user).put(pathOf('progress')).send({ progress: 1 }).expect(200);
    await expectOnlySentinel(
      stream,
      (event) =>
        event.type === 'media_progress' &&
        (event.data as { MediaProgress: { progress: { userRef: string } } }).MediaProgress.progress
          .userRef === user.id,
    );
  };

  it('stores a reader’s position and rating, one row per user and media, told to that user alone', async () => {
    const viewerStream = await openStream(t, viewer, OWNER_EVENTS);
    const otherStream = await openStream(t, other, OWNER_EVENTS);
    const adminStream = await openStream(t, t.admin, OWNER_EVENTS);
    const before = Date.now();

    const first = await t.as(viewer).put(pathOf('progress')).send({ progress: 60_000 }).expect(200);
    expect(first.body).toEqual({
      userRef: viewer.id,
      mediaRef: media,
      progress: 60_000,
      modified: expect.any(Number),
    });
    expect((first.body as { modified: number }).modified).toBeGreaterThanOrEqual(before);
    const second = await t
      .as(viewer)
      .put(pathOf('progress'))
      .send({ progress: 754_000 })
      .expect(200);
    const rated = await t.as(viewer).put(pathOf('rating')).send({ rating: 4.5 }).expect(200);
    expect(rated.body).toEqual({
      userRef: viewer.id,
      mediaRef: media,
      rating: 4.5,
      modified: expect.any(Number),
    });

    expect(await storedFor(viewer.id)).toEqual([
      {
        user_id: viewer.id,
        media_id: media,
        progress: 754_000,
        progress_modified: (second.body as { modified: number }).modified,
        rating: 4.5,
        rating_modified: (rated.body as { modified: number }).modified,
      },
    ]);

    const events = await viewerStream.waitFor(3);
    expect(events.map((event) => event.type)).toEqual([
      'media_progress',
      'media_progress',
      'media_rating',
    ]);
    expect(events[0].data).toEqual({ MediaProgress: { library, progress: first.body } });
    expect(events[1].data).toEqual({ MediaProgress: { library, progress: second.body } });
    expect(events[2].data).toEqual({ MediaRating: { library, rating: rated.body } });

    expect((await t.as(viewer).get(pathOf('progress')).expect(200)).body).toEqual(second.body);
    expect((await t.as(viewer).get(pathOf('rating')).expect(200)).body).toEqual(rated.body);

    // Neither another reader of the library nor a server admin hears of it.
    await ownEventOnly(otherStream, other);
    await ownEventOnly(adminStream, t.admin);
    expect(viewerStream.events).toHaveLength(3);
    for (const stream of [viewerStream, otherStream, adminStream]) stream.close();
  });

  it('answers 404 for a value the caller has not set, even when another user has', async () => {
    const fresh = await t.createUser();
    await t.grant(library, fresh.id, 'read');
    await t.as(viewer).put(pathOf('rating')).send({ rating: 2 }).expect(200);
    const missing = await t.as(fresh).get(pathOf('rating'));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    await t.as(fresh).get(pathOf('progress')).expect(404);
    // A rating alone leaves the position unset.
    await t.as(fresh).put(pathOf('rating')).send({ rating: 0 }).expect(200);
    await t.as(fresh).get(pathOf('progress')).expect(404);
    expect((await t.as(fresh).get(pathOf('rating')).expect(200)).body).toMatchObject({ rating: 0 });
  });

  it('refuses bad values with 400 and keeps what was stored', async () => {
    await t.as(other).put(pathOf('progress')).send({ progress: 5000 }).expect(200);
    await t.as(other).put(pathOf('rating')).send({ rating: 3 }).expect(200);
    const stored = await storedFor(other.id);

    const responses = await Promise.all([
      ...[{}, { progress: -1 }, { progress: 1.5 }, { progress: '10' }, { progress: null }].map(
        (body) => t.as(other).put(pathOf('progress')).send(body),
      ),
      t.as(other).put(pathOf('progress')).send({ progress: 10, extra: 1 }),
      ...[{}, { rating: 5.5 }, { rating: 0.3 }, { rating: -0.5 }, { rating: '4' }].map((body) =>
        t.as(other).put(pathOf('rating')).send(body),
      ),
    ]);
    for (const response of responses) {
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect(await storedFor(other.id)).toEqual(stored);
  });

  it('hides medias and libraries the caller cannot read, and unknown ones, behind 404', async () => {
    const responses = await Promise.all([
      t.as(outsider).put(pathOf('progress')).send({ progress: 1 }),
      t.as(outsider).get(pathOf('rating')),
      t.as(viewer).put(pathOf('progress', randomUUID())).send({ progress: 1 }),
      t.as(viewer).put(pathOf('rating', foreignMedia)).send({ rating: 1 }),
      t
        .as(viewer)
        .put(pathOf('progress', media, randomUUID()))
        .send({ progress: 1 }),
    ]);
    for (const response of responses) expect(response.status).toBe(404);
    await t.as(viewer).put(pathOf('progress', 'not-a-uuid')).send({ progress: 1 }).expect(400);
    const rows = await database.db
      .selectFrom('media_user_data')
      .select('user_id')
      .where((eb) => eb.or([eb('user_id', '=', outsider.id), eb('media_id', '=', foreignMedia)]))
      .execute();
    expect(rows).toEqual([]);
  });

  it('forgets a user’s values with the media', async () => {
    const gone = mediaRow(library);
    await database.db.insertInto('medias').values(gone).execute();
    await t.as(viewer).put(pathOf('progress', gone.id)).send({ progress: 42 }).expect(200);
    await database.db.deleteFrom('medias').where('id', '=', gone.id).execute();
    const rows = await database.db
      .selectFrom('media_user_data')
      .select('user_id')
      .where('media_id', '=', gone.id)
      .execute();
    expect(rows).toEqual([]);
  });
});
