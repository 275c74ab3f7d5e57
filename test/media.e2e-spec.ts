import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { DatabaseService } from '../src/database/database.service.js';
import { binaryBody } from './support/binary-body.js';
import { expectOnlySentinel, openStream } from './support/event-streams.js';
import type { RecordingEventSource } from './support/sse-client.js';
import {
  ADMIN,
  createLibraryCast,
  createTestApp,
  type TestApp,
  type TestUser,
} from './support/test-app.js';

interface MediaBody {
  id: string;
  library: string;
  name: string;
  mimetype: string;
  size: number;
  origin: string;
  hasFile: boolean;
  description?: string | null;
  [key: string]: unknown;
}

const bytesOf = (response: { body: unknown }) => response.body as Buffer;

interface MediasEvent {
  Medias: { library: string; medias: { action: string; media: MediaBody }[] };
}

describe('medias', () => {
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
      { name: 'Films', type: 'movies' },
      { type: 'movies' },
    ));
  });
  afterAll(() => t.close());

  const medias = (lib = library) => `/libraries/${lib}/medias`;

  const rowOf = (id: string) =>
    database.db.selectFrom('medias').selectAll().where('id', '=', id).executeTakeFirst();

  const create = async (body: Record<string, unknown>, lib = library): Promise<MediaBody> =>
    (await t.as(t.admin).post(medias(lib)).send(body).expect(201)).body as MediaBody;

  /** A media in the library the outsider can read: the event that must come alone. */
  const sentinel = async (stream: RecordingEventSource) => {
    const name = `sentinel-${randomUUID()}`;
    await create({ name }, otherLibrary);
    await expectOnlySentinel(
      stream,
      (event) =>
        event.type === 'medias' &&
        (event.data as MediasEvent).Medias.library === otherLibrary &&
        (event.data as MediasEvent).Medias.medias[0].media.name === name,
    );
  };

  /** Opens streams for the reader and the outsider, runs `action`, returns the reader's event. */
  const observe = async (action: () => Promise<unknown>): Promise<MediasEvent['Medias']> => {
    const [readerStream, outsiderStream] = await Promise.all([
      openStream(t, reader, ['medias']),
      openStream(t, outsider, ['medias']),
    ]);
    try {
      await action();
      const [event] = await readerStream.waitFor(1);
      expect(event.type).toBe('medias');
      await sentinel(outsiderStream);
      return (event.data as MediasEvent).Medias;
    } finally {
      readerStream.close();
      outsiderStream.close();
    }
  };

  describe('create', () => {
    it('stores a metadata-only media and tells the readers', async () => {
      let created: MediaBody | undefined;
      const event = await observe(async () => {
        const response = await t
          .as(writer)
          .post(medias())
          .send({ name: 'Alien.mkv', description: 'In space', durationMs: 6_960_000 })
          .expect(201);
        created = response.body as MediaBody;
      });
      const media = created as MediaBody;
      expect(media).toMatchObject({
        library,
        name: 'Alien.mkv',
        mimetype: 'video/x-matroska',
        size: 0,
        origin: 'metadata',
        description: 'In space',
        durationMs: 6_960_000,
        hasFile: false,
      });
      expect(typeof media.added).toBe('number');
      expect(event).toEqual({ library, medias: [{ action: 'Added', media }] });
      expect(await rowOf(media.id)).toMatchObject({
        library_id: library,
        name: 'Alien.mkv',
        path: null,
        origin: 'metadata',
        duration_ms: 6_960_000,
      });
    });

    it('needs the write role', async () => {
      const response = await t.as(reader).post(medias()).send({ name: 'x' }).expect(403);
      expect(response.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      await t.as(outsider).post(medias()).send({ name: 'x' }).expect(404);
    });

    it.each([
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', mimetype: 'text/html; charset=utf-8' }, 'mimetype'],
      [{ name: 'x', width: -1 }, 'width'],
      [{ name: 'x', path: '/etc/passwd' }, 'path'],
      [{ name: null }, 'name'],
    ])('refuses %p', async (body, field) => {
      const response = await t.as(writer).post(medias()).send(body).expect(400);
      expect(JSON.stringify(response.body)).toContain(field);
    });

    it('answers 404 for an unknown library and 400 for a malformed id', async () => {
      await t.as(t.admin).post(medias(randomUUID())).send({ name: 'x' }).expect(404);
      await t.as(t.admin).post('/libraries/not-a-uuid/medias').send({ name: 'x' }).expect(400);
    });
  });

  describe('read', () => {
    let listLibrary: string;
    let everything: string[];
    const names = Array.from({ length: 7 }, (_, i) => `item ${i}`);
    const list = async (query: string) =>
      (
        await t
          .as(reader)
          .get(`${medias(listLibrary)}${query}`)
          .expect(200)
      ).body as {
        items: MediaBody[];
        total: number;
        offset: number | null;
        nextCursor: string | null;
      };

    beforeAll(async () => {
      listLibrary = await t.createLibrary({ name: 'List' });
      await t.grant(listLibrary, reader.id, 'read');
      await Promise.all(names.map((name) => create({ name }, listLibrary)));
      everything = (await list('?limit=1000')).items.map((media) => media.name);
    });

    it('lists every media of the library', () => {
      expect([...everything].sort()).toEqual(names);
    });

    it('pages by offset with a total', async () => {
      const page = await list('?limit=3&offset=2');
      expect(page.total).toBe(7);
      expect(page.offset).toBe(2);
      expect(page.items.map((media) => media.name)).toEqual(everything.slice(2, 5));
    });

    it('pages by cursor to the end', async () => {
      const collect = async (cursor: string | null, pages: number): Promise<string[]> => {
        const page = await list(cursor === null ? '?limit=3' : `?limit=3&cursor=${cursor}`);
        expect(page.total).toBe(7);
        expect(page.offset).toBe(cursor === null ? 0 : null);
        const onPage = page.items.map((media) => media.name);
        if (page.nextCursor === null || pages > 10) return onPage;
        return [...onPage, ...(await collect(page.nextCursor, pages + 1))];
      };
      expect(await collect(null, 0)).toEqual(everything);
    });

    it('refuses bad paging', async () => {
      const queries = ['?limit=0', '?limit=1001', '?offset=-1', '?limit=abc', '?cursor=zzz'];
      const statuses = await Promise.all(
        [...queries, '?offset=1&cursor=abc'].map(
          async (query) => (await t.as(reader).get(`${medias(listLibrary)}${query}`)).status,
        ),
      );
      expect(statuses).toEqual(Array(6).fill(400));
    });

    it('gets one media, and hides other libraries', async () => {
      const media = await create({ name: 'one' });
      const response = await t.as(reader).get(`${medias()}/${media.id}`).expect(200);
      expect(response.body).toEqual(media);
      await t.as(outsider).get(`${medias()}/${media.id}`).expect(404);
      await t.as(outsider).get(medias()).expect(404);
      await t
        .as(t.admin)
        .get(`${medias(otherLibrary)}/${media.id}`)
        .expect(404);
      await t.as(reader).get(`${medias()}/${randomUUID()}`).expect(404);
    });
  });

  describe('update', () => {
    it('changes one media and tells the readers', async () => {
      const media = await create({ name: 'before', description: 'old' });
      let updated: MediaBody | undefined;
      const event = await observe(async () => {
        const response = await t
          .as(writer)
          .patch(`${medias()}/${media.id}`)
          .send({ name: 'after', description: null })
          .expect(200);
        updated = response.body as MediaBody;
      });
      expect(updated).toMatchObject({ id: media.id, name: 'after', description: null });
      expect(event).toEqual({ library, medias: [{ action: 'Updated', media: updated }] });
      expect(await rowOf(media.id)).toMatchObject({ name: 'after', description: null });
    });

    it('refuses empty, null and foreign changes', async () => {
      const media = await create({ name: 'stay' });
      await t.as(writer).patch(`${medias()}/${media.id}`).send({}).expect(400);
      await t.as(writer).patch(`${medias()}/${media.id}`).send({ name: null }).expect(400);
      await t.as(writer).patch(`${medias()}/${media.id}`).send({ origin: 'upload' }).expect(400);
      await t.as(reader).patch(`${medias()}/${media.id}`).send({ name: 'x' }).expect(403);
      await t.as(writer).patch(`${medias()}/${randomUUID()}`).send({ name: 'x' }).expect(404);
      expect(await rowOf(media.id)).toMatchObject({ name: 'stay' });
    });

    it('changes many medias at once, in one message', async () => {
      const [a, b, c] = [
        await create({ name: 'a' }),
        await create({ name: 'b' }),
        await create({ name: 'c' }),
      ];
      const event = await observe(() =>
        t
          .as(writer)
          .patch(medias())
          .send({ ids: [a.id, b.id, c.id], changes: { description: 'batch' } })
          .expect(200),
      );
      expect(
        event.medias.map((item) => [item.action, item.media.id, item.media.description]),
      ).toEqual([
        ['Updated', a.id, 'batch'],
        ['Updated', b.id, 'batch'],
        ['Updated', c.id, 'batch'],
      ]);
      const rows = await Promise.all([a.id, b.id, c.id].map((id) => rowOf(id)));
      expect(rows.map((row) => row?.description)).toEqual(['batch', 'batch', 'batch']);
    });

    it('applies a list of different changes in one message', async () => {
      const [a, b] = [await create({ name: 'a' }), await create({ name: 'b' })];
      const event = await observe(async () => {
        const response = await t
          .as(writer)
          .patch(medias())
          .send({
            items: [
              { id: a.id, changes: { name: 'A' } },
              { id: b.id, changes: { width: 1920, height: 1080 } },
            ],
          })
          .expect(200);
        expect((response.body as MediaBody[]).map((media) => media.name)).toEqual(['A', 'b']);
      });
      expect(event.medias).toHaveLength(2);
      expect(await rowOf(a.id)).toMatchObject({ name: 'A' });
      expect(await rowOf(b.id)).toMatchObject({ width: 1920, height: 1080 });
    });

    it('changes none when one id is unknown or the body is ambiguous', async () => {
      const a = await create({ name: 'untouched' });
      const missing = randomUUID();
      const response = await t
        .as(writer)
        .patch(medias())
        .send({ ids: [a.id, missing], changes: { name: 'changed' } })
        .expect(404);
      expect(JSON.stringify(response.body)).toContain(missing);
      expect(await rowOf(a.id)).toMatchObject({ name: 'untouched' });
      const foreign = await create({ name: 'foreign' }, otherLibrary);
      await t
        .as(t.admin)
        .patch(medias())
        .send({ ids: [a.id, foreign.id], changes: { name: 'changed' } })
        .expect(404);
      expect(await rowOf(foreign.id)).toMatchObject({ name: 'foreign' });
      await t
        .as(writer)
        .patch(medias())
        .send({ ids: [a.id] })
        .expect(400);
      await t
        .as(writer)
        .patch(medias())
        .send({ ids: [a.id, a.id], changes: { name: 'x' } })
        .expect(400);
      await t
        .as(writer)
        .patch(medias())
        .send({
          ids: [a.id],
          changes: { name: 'x' },
          items: [{ id: a.id, changes: { name: 'y' } }],
        })
        .expect(400);
      await t
        .as(writer)
        .patch(medias())
        .send({
          items: [
            { id: a.id, changes: { name: 'x' } },
            { id: a.id, changes: { name: 'y' } },
          ],
        })
        .expect(400);
      await t
        .as(writer)
        .patch(medias())
        .send({ ids: ['nope'], changes: { name: 'x' } })
        .expect(400);
      expect(await rowOf(a.id)).toMatchObject({ name: 'untouched' });
    });
  });

  describe('delete', () => {
    it('deletes one media and tells the readers', async () => {
      const media = await create({ name: 'doomed' });
      const event = await observe(() => t.as(writer).delete(`${medias()}/${media.id}`).expect(204));
      expect(event).toEqual({ library, medias: [{ action: 'Deleted', media }] });
      expect(await rowOf(media.id)).toBeUndefined();
      await t.as(writer).delete(`${medias()}/${media.id}`).expect(404);
    });

    it('deletes many at once in one message, or none', async () => {
      const [a, b] = [await create({ name: 'a' }), await create({ name: 'b' })];
      await t
        .as(writer)
        .delete(medias())
        .send({ ids: [a.id, randomUUID()] })
        .expect(404);
      expect(await rowOf(a.id)).toBeDefined();
      await t
        .as(reader)
        .delete(medias())
        .send({ ids: [a.id] })
        .expect(403);
      await t.as(writer).delete(medias()).send({ ids: [] }).expect(400);
      const event = await observe(() =>
        t
          .as(writer)
          .delete(medias())
          .send({ ids: [a.id, b.id] })
          .expect(204),
      );
      expect(event.medias.map((item) => [item.action, item.media.id])).toEqual([
        ['Deleted', a.id],
        ['Deleted', b.id],
      ]);
      expect(await rowOf(a.id)).toBeUndefined();
      expect(await rowOf(b.id)).toBeUndefined();
    });

    it('removes the file of an uploaded media', async () => {
      const upload = await t
        .as(writer)
        .post(`/libraries/${library}/upload`)
        .attach('file', Buffer.from('hello'), 'hello.txt')
        .expect(201);
      const media = upload.body as MediaBody;
      const row = await rowOf(media.id);
      expect(row?.path).toBeTruthy();
      expect(existsSync(row?.path as string)).toBe(true);
      await t.as(writer).delete(`${medias()}/${media.id}`).expect(204);
      expect(existsSync(row?.path as string)).toBe(false);
    });
  });

  describe('file', () => {
    const content = randomBytes(1000);
    let media: MediaBody;
    let url: string;

    beforeAll(async () => {
      const upload = await t
        .as(writer)
        .post(`/libraries/${library}/upload`)
        .attach('file', content, 'clip.mp4')
        .expect(201);
      media = upload.body as MediaBody;
      url = `${medias()}/${media.id}/file`;
    });

    const get = (range?: string) => {
      const request = t.as(reader).get(url).buffer(true).parse(binaryBody);
      return range === undefined ? request : request.set('Range', range);
    };

    it('streams the whole file', async () => {
      const response = await get().expect(200);
      expect(bytesOf(response).equals(content)).toBe(true);
      expect(response.headers['content-type']).toBe('video/mp4');
      expect(response.headers['accept-ranges']).toBe('bytes');
      expect(response.headers['content-length']).toBe('1000');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    });

    it.each([
      ['bytes=0-9', 0, 9],
      ['bytes=-100', 900, 999],
      ['bytes=990-', 990, 999],
      ['bytes=500-5000', 500, 999],
      ['bytes=0-99999999999999999999', 0, 999],
      ['bytes=-99999999999999999999', 0, 999],
    ])('serves %s', async (range, start, end) => {
      const response = await get(range).expect(206);
      expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/1000`);
      expect(response.headers['content-length']).toBe(String(end - start + 1));
      expect(bytesOf(response).equals(content.subarray(start, end + 1))).toBe(true);
    });

    it('answers 416 for a range outside the file', async () => {
      const response = await t.as(reader).get(url).set('Range', 'bytes=1000-').expect(416);
      expect(response.headers['content-range']).toBe('bytes */1000');
      expect(response.body).toMatchObject({ statusCode: 416 });
    });

    it('ignores a range it cannot read, and one from an older version of the file', async () => {
      expect(bytesOf(await get('lines=0-9').expect(200))).toHaveLength(1000);
      const stale = await get('bytes=0-9').set('If-Range', '"0-0"').expect(200);
      expect(bytesOf(stale)).toHaveLength(1000);
      const { etag } = (await get().expect(200)).headers as Record<string, string>;
      await get('bytes=0-9').set('If-Range', etag).expect(206);
    });

    it('refuses a file replaced by a FIFO at once, and the server stays responsive', async () => {
      const victim = (
        await t
          .as(writer)
          .post(`/libraries/${library}/upload`)
          .attach('file', content, 'victim.mp4')
          .expect(201)
      ).body as MediaBody;
      const path = (await rowOf(victim.id))?.path as string;
      rmSync(path);
      execFileSync('mkfifo', [path]);
      // More readers than libuv has threads: a blocking open would hold every one of them.
      const reads = await Promise.all(
        Array.from({ length: 6 }, () =>
          t.as(reader).get(`${medias()}/${victim.id}/file`).timeout(3000),
        ),
      );
      expect(reads.map((response) => response.status)).toEqual(Array(6).fill(404));
      await t.http().post('/auth/login').send(ADMIN).timeout(3000).expect(200);
      rmSync(path);
    });

    it('answers HEAD without a body', async () => {
      const response = await t.as(reader).head(url).expect(200);
      expect(response.headers['content-length']).toBe('1000');
    });

    it('needs the read role and a file', async () => {
      await t.as(outsider).get(url).expect(404);
      const bare = await create({ name: 'no file' });
      await t.as(reader).get(`${medias()}/${bare.id}/file`).expect(404);
    });

    it('sends active content as an attachment', async () => {
      await t
        .as(writer)
        .patch(`${medias()}/${media.id}`)
        .send({ mimetype: 'text/html' })
        .expect(200);
      const response = await get().expect(200);
      expect(response.headers['content-disposition']).toMatch(/^attachment;/);
      expect(response.headers['content-security-policy']).toContain('sandbox');
    });
  });
});
