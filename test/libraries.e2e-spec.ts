import { dirname, join } from 'node:path';
import { RawSseClient } from './support/sse-client.js';
import { createTestApp, type TestApp, type TestUser } from './support/test-app.js';

const UNKNOWN_ID = '3f0c9a52-7b1e-4d8e-9a35-5c8c7f3c1a99';
const SECRET_PASSWORD = 'library-secret-password-42';

const isOpen = (client: RawSseClient) => client.received.startsWith('HTTP/1.1 200');
const hasEvented = (client: RawSseClient) => client.body.includes('"name":"Evented"');

interface LibraryBody {
  id: string;
  name: string;
  type: string;
  root?: string | null;
  settings?: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  role: string;
}

describe('libraries', () => {
  let t: TestApp;
  let reader: TestUser;
  let writer: TestUser;
  let libraryAdmin: TestUser;
  let outsider: TestUser;
  let libraryId: string;
  let otherId: string;

  beforeAll(async () => {
    t = await createTestApp();
    [reader, writer, libraryAdmin, outsider] = await Promise.all([
      t.createUser('user', 'reader'),
      t.createUser('user', 'writer'),
      t.createUser('user', 'library-admin'),
      t.createUser('user', 'outsider'),
    ]);
    libraryId = await t.createLibrary({
      name: 'Family photos',
      root: '/srv/media/photos',
      settings: { scan: true },
      credentials: { username: 'nas', password: SECRET_PASSWORD },
    });
    otherId = await t.createLibrary({ name: 'Other', type: 'movies' });
    await t.grant(libraryId, reader.id, 'read');
    await t.grant(libraryId, writer.id, 'write');
    await t.grant(libraryId, libraryAdmin.id, 'admin');
  });
  afterAll(() => t.close());

  describe('create', () => {
    it('lets a server admin create a library and never echoes its credentials', async () => {
      const before = Date.now();
      const response = await t
        .as(t.admin)
        .post('/libraries')
        .send({
          name: 'Shows',
          type: 'shows',
          root: '/srv/media/../media/shows/',
          settings: { language: 'fr' },
          credentials: { username: 'u', password: SECRET_PASSWORD, url: 'http://nas.local' },
        })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        name: 'Shows',
        type: 'shows',
        root: '/srv/media/shows',
        settings: { language: 'fr' },
        createdAt: expect.any(Number),
        updatedAt: expect.any(Number),
        role: 'admin',
      });
      expect((response.body as LibraryBody).createdAt).toBeGreaterThanOrEqual(before);
      expect(response.text).not.toContain(SECRET_PASSWORD);
    });

    it('gives a library without root or settings a null root and empty settings', async () => {
      const response = await t
        .as(t.admin)
        .post('/libraries')
        .send({ name: 'Bare', type: 'other' })
        .expect(201);
      expect(response.body).toMatchObject({ root: null, settings: {} });
    });

    it('refuses anyone but a server admin, library admins included', async () => {
      const responses = await Promise.all(
        [reader, libraryAdmin, outsider].map((who) =>
          t.as(who).post('/libraries').send({ name: 'Mine', type: 'photos' }),
        ),
      );
      for (const response of responses) {
        expect(response.status).toBe(403);
        expect(response.body).toEqual({
          statusCode: 403,
          error: 'Forbidden',
          message: 'This needs a server admin',
        });
      }
    });

    it('stores hostile settings keys as data, never on a prototype', async () => {
      const response = await t
        .as(t.admin)
        .post('/libraries')
        .set('Content-Type', 'application/json')
        .send(
          '{"name":"x","type":"photos","settings":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}}',
        );
      expect(response.status).toBe(201);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const stored = await t
        .as(t.admin)
        .get(`/libraries/${(response.body as LibraryBody).id}`)
        .expect(200);
      expect((stored.body as LibraryBody).settings?.polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it.each([
      ['the data folder', () => t.dataDir],
      ['a folder inside the data folder', () => join(t.dataDir, 'libraries')],
      ['the backup folder', () => join(t.dataDir, 'backups')],
      ['a folder around the data folder', () => dirname(t.dataDir)],
      ['the filesystem root', () => '/'],
    ])('refuses %s as a root, on create and on update, storing nothing', async (_label, root) => {
      const before = (await t.as(t.admin).get('/libraries').expect(200)).body as unknown[];
      const created = await t
        .as(t.admin)
        .post('/libraries')
        .send({ name: 'x', type: 'photos', root: root() })
        .expect(400);
      expect(created.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(created.body.message).toContain('data or backup folder');
      const id = await t.createLibrary({ name: 'rootless' });
      await t.as(t.admin).patch(`/libraries/${id}`).send({ root: root() }).expect(400);
      const after = (await t.as(t.admin).get(`/libraries/${id}`).expect(200)).body as LibraryBody;
      expect(after.root).toBeNull();
      expect((await t.as(t.admin).get('/libraries').expect(200)).body).toHaveLength(
        before.length + 1,
      );
      await t.as(t.admin).delete(`/libraries/${id}`).expect(204);
    });

    it.each([
      ['no name', { type: 'photos' }, 'name must be a string'],
      [
        'an empty name',
        { name: '', type: 'photos' },
        'name must be longer than or equal to 1 characters',
      ],
      [
        'an unknown type',
        { name: 'x', type: 'music' },
        'type must be one of the following values: photos, shows, movies, iptv, books, other',
      ],
      [
        'a relative root',
        { name: 'x', type: 'photos', root: 'media/photos' },
        'root must be an absolute path',
      ],
      ['a null root', { name: 'x', type: 'photos', root: null }, 'root must be a string'],
      [
        'settings that are an array',
        { name: 'x', type: 'photos', settings: [1] },
        'settings must be an object',
      ],
      [
        'null settings',
        { name: 'x', type: 'photos', settings: null },
        'settings must be an object',
      ],
      [
        'credentials that are a string',
        { name: 'x', type: 'photos', credentials: 'secret' },
        'credentials must be an object',
      ],
      [
        'credentials that are an array',
        { name: 'x', type: 'photos', credentials: [{ username: 'u' }] },
        'credentials must be an object',
      ],
      [
        'an unknown credentials field',
        { name: 'x', type: 'photos', credentials: { token: 'x' } },
        'credentials.property token should not exist',
      ],
      [
        'an unknown field',
        { name: 'x', type: 'photos', owner: 'me' },
        'property owner should not exist',
      ],
    ])('refuses %s with a 400 naming the field', async (_label, body, message) => {
      const response = await t.as(t.admin).post('/libraries').send(body).expect(400);
      expect(response.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.arrayContaining([message]),
      });
    });
  });

  describe('read', () => {
    it('lists to a user only the libraries they can read, with their role', async () => {
      const response = await t.as(reader).get('/libraries').expect(200);
      expect(response.body).toEqual([
        {
          id: libraryId,
          name: 'Family photos',
          type: 'photos',
          createdAt: expect.any(Number),
          updatedAt: expect.any(Number),
          role: 'read',
        },
      ]);
      const outsiders = await t.as(outsider).get('/libraries').expect(200);
      expect(outsiders.body).toEqual([]);
    });

    it('lists every library to a server admin, as admin, with root and settings', async () => {
      const response = await t.as(t.admin).get('/libraries').expect(200);
      const libraries = response.body as LibraryBody[];
      expect(libraries.map((library) => library.id)).toEqual(
        expect.arrayContaining([libraryId, otherId]),
      );
      for (const library of libraries) {
        expect(library.role).toBe('admin');
        expect(library).toHaveProperty('root');
        expect(library).toHaveProperty('settings');
      }
    });

    it('shows root and settings to library admins only', async () => {
      const [asAdmin, asReader, asWriter] = (
        await Promise.all(
          [libraryAdmin, reader, writer].map((who) =>
            t.as(who).get(`/libraries/${libraryId}`).expect(200),
          ),
        )
      ).map((response) => response.body as LibraryBody);
      expect(asAdmin).toMatchObject({
        role: 'admin',
        root: '/srv/media/photos',
        settings: { scan: true },
      });
      for (const library of [asReader, asWriter]) {
        expect(library).not.toHaveProperty('root');
        expect(library).not.toHaveProperty('settings');
      }
      expect([asReader.role, asWriter.role]).toEqual(['read', 'write']);
    });

    it('never returns credentials or their password, to anyone, anywhere', async () => {
      const responses = await Promise.all([
        ...[t.admin, libraryAdmin, reader, writer].flatMap((who) => [
          t.as(who).get('/libraries').expect(200),
          t.as(who).get(`/libraries/${libraryId}`).expect(200),
          t.as(who).get('/auth/me').expect(200),
        ]),
        t.as(t.admin).patch(`/libraries/${libraryId}`).send({}).expect(200),
      ]);
      for (const { text: body } of responses) {
        expect(body).not.toContain(SECRET_PASSWORD);
        expect(body).not.toContain('credentials');
        expect(body).not.toContain('password');
      }
    });

    it('hides a library the user cannot read behind a 404, like an unknown one', async () => {
      const hidden = await t.as(outsider).get(`/libraries/${libraryId}`).expect(404);
      const unknown = await t.as(outsider).get(`/libraries/${UNKNOWN_ID}`).expect(404);
      expect(hidden.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: `Library ${libraryId} not found`,
      });
      expect(unknown.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: `Library ${UNKNOWN_ID} not found`,
      });
      await t.as(t.admin).get(`/libraries/${UNKNOWN_ID}`).expect(404);
    });

    it('refuses an id that is not a UUID with a 400', async () => {
      const response = await t.as(t.admin).get('/libraries/not-a-uuid').expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });
  });

  describe('update', () => {
    it('lets a library admin rename it and change its settings', async () => {
      const before = (await t.as(t.admin).get(`/libraries/${libraryId}`).expect(200))
        .body as LibraryBody;
      const response = await t
        .as(libraryAdmin)
        .patch(`/libraries/${libraryId}`)
        .send({ name: 'Renamed', settings: { scan: false } })
        .expect(200);
      expect(response.body).toMatchObject({
        id: libraryId,
        name: 'Renamed',
        settings: { scan: false },
        root: '/srv/media/photos',
        role: 'admin',
        createdAt: before.createdAt,
      });
      expect((response.body as LibraryBody).updatedAt).toBeGreaterThanOrEqual(before.updatedAt);
      const read = await t.as(reader).get(`/libraries/${libraryId}`).expect(200);
      expect(read.body).toMatchObject({ name: 'Renamed' });
    });

    it('refuses readers and writers with a 403, and outsiders with a 404', async () => {
      const responses = await Promise.all(
        [reader, writer].map((who) =>
          t.as(who).patch(`/libraries/${libraryId}`).send({ name: 'Hijacked' }).expect(403),
        ),
      );
      for (const response of responses) {
        expect(response.body).toEqual({
          statusCode: 403,
          error: 'Forbidden',
          message: `This needs the admin role on library ${libraryId}`,
        });
      }
      await t.as(outsider).patch(`/libraries/${libraryId}`).send({ name: 'Hijacked' }).expect(404);
      await t.as(t.admin).patch(`/libraries/${UNKNOWN_ID}`).send({ name: 'x' }).expect(404);
      const library = await t.as(t.admin).get(`/libraries/${libraryId}`).expect(200);
      expect((library.body as LibraryBody).name).not.toBe('Hijacked');
    });

    it('lets only a server admin set the root', async () => {
      const refused = await t
        .as(libraryAdmin)
        .patch(`/libraries/${libraryId}`)
        .send({ root: '/etc' })
        .expect(403);
      expect(refused.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'Only a server admin may set the root of a library',
      });
      const unchanged = await t.as(t.admin).get(`/libraries/${libraryId}`).expect(200);
      expect((unchanged.body as LibraryBody).root).toBe('/srv/media/photos');

      const changed = await t
        .as(t.admin)
        .patch(`/libraries/${libraryId}`)
        .send({ root: '/srv/media/pictures' })
        .expect(200);
      expect((changed.body as LibraryBody).root).toBe('/srv/media/pictures');
    });

    it.each([
      ['a null name', { name: null }, 'name must be a string'],
      [
        'a null type',
        { type: null },
        'type must be one of the following values: photos, shows, movies, iptv, books, other',
      ],
      ['a null root', { root: null }, 'root must be a string'],
      ['null settings', { settings: null }, 'settings must be an object'],
      ['null credentials', { credentials: null }, 'credentials must be an object'],
      ['an unknown field', { id: UNKNOWN_ID }, 'property id should not exist'],
    ])('refuses %s with a 400', async (_label, body, message) => {
      const response = await t.as(t.admin).patch(`/libraries/${libraryId}`).send(body).expect(400);
      expect(response.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.arrayContaining([message]),
      });
    });

    it('refuses a malformed JSON body with a 400', async () => {
      const response = await t
        .as(t.admin)
        .patch(`/libraries/${libraryId}`)
        .set('Content-Type', 'application/json')
        .send('{"name": ')
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });
  });

  describe('roles', () => {
    it('orders none < read < write < admin in what each role may do', async () => {
      const member = await t.createUser();
      const id = await t.createLibrary({ name: 'Ladder' });
      const abilities = async () => {
        const read = await t.as(member).get(`/libraries/${id}`);
        const update = await t.as(member).patch(`/libraries/${id}`).send({});
        const listed = (await t.as(member).get('/libraries').expect(200)).body as LibraryBody[];
        const me = (await t.as(member).get('/auth/me').expect(200)).body as {
          libraries: Record<string, string>;
        };
        return {
          read: read.status,
          update: update.status,
          role: (read.body as LibraryBody).role,
          listed: listed.some((library) => library.id === id),
          grant: me.libraries[id],
        };
      };
      expect(await abilities()).toEqual({
        read: 404,
        update: 404,
        role: undefined,
        listed: false,
        grant: undefined,
      });
      await t.grant(id, member.id, 'read');
      expect(await abilities()).toEqual({
        read: 200,
        update: 403,
        role: 'read',
        listed: true,
        grant: 'read',
      });
      await t.grant(id, member.id, 'write');
      expect(await abilities()).toEqual({
        read: 200,
        update: 403,
        role: 'write',
        listed: true,
        grant: 'write',
      });
      await t.grant(id, member.id, 'admin');
      expect(await abilities()).toEqual({
        read: 200,
        update: 200,
        role: 'admin',
        listed: true,
        grant: 'admin',
      });
      await t.grant(id, member.id, 'none');
      expect(await abilities()).toEqual({
        read: 404,
        update: 404,
        role: undefined,
        listed: false,
        grant: undefined,
      });
    });

    it('lets a library admin grant roles on their library, and nobody below', async () => {
      const member = await t.createUser();
      await t
        .as(libraryAdmin)
        .put(`/libraries/${libraryId}/users/${member.id}`)
        .send({ role: 'read' })
        .expect(204);
      await t.as(member).get(`/libraries/${libraryId}`).expect(200);
      const refused = await Promise.all(
        [reader, writer].map((who) =>
          t
            .as(who)
            .put(`/libraries/${libraryId}/users/${member.id}`)
            .send({ role: 'admin' })
            .expect(403),
        ),
      );
      for (const response of refused) {
        expect(response.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      }
      await t
        .as(outsider)
        .put(`/libraries/${libraryId}/users/${outsider.id}`)
        .send({ role: 'admin' })
        .expect(404);
      await t
        .as(libraryAdmin)
        .put(`/libraries/${otherId}/users/${member.id}`)
        .send({ role: 'read' })
        .expect(404);
      const granted = await t.as(member).get(`/libraries/${libraryId}`).expect(200);
      expect((granted.body as LibraryBody).role).toBe('read');
    });

    it('answers 404 for an unknown user or library and 400 for a bad role or id', async () => {
      const unknownUser = await t
        .as(t.admin)
        .put(`/libraries/${libraryId}/users/${UNKNOWN_ID}`)
        .send({ role: 'read' })
        .expect(404);
      expect(unknownUser.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: `User ${UNKNOWN_ID} not found`,
      });
      await t
        .as(t.admin)
        .put(`/libraries/${UNKNOWN_ID}/users/${reader.id}`)
        .send({ role: 'read' })
        .expect(404);
      const invalid = await Promise.all(
        [{ role: 'owner' }, {}, { role: 'read', extra: 1 }].map((body) =>
          t.as(t.admin).put(`/libraries/${libraryId}/users/${reader.id}`).send(body).expect(400),
        ),
      );
      for (const response of invalid) {
        expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      }
      await t
        .as(t.admin)
        .put(`/libraries/${libraryId}/users/not-a-uuid`)
        .send({ role: 'read' })
        .expect(400);
      const stillReader = await t.as(reader).get(`/libraries/${libraryId}`).expect(200);
      expect((stillReader.body as LibraryBody).role).toBe('read');
    });
  });

  describe('delete', () => {
    it('refuses readers and writers (403) and outsiders (404)', async () => {
      await t.as(reader).delete(`/libraries/${otherId}`).expect(404);
      await t.as(reader).delete(`/libraries/${libraryId}`).expect(403);
      await t.as(writer).delete(`/libraries/${libraryId}`).expect(403);
      await t.as(outsider).delete(`/libraries/${libraryId}`).expect(404);
      await t.as(t.admin).delete(`/libraries/${UNKNOWN_ID}`).expect(404);
      await t.as(reader).get(`/libraries/${libraryId}`).expect(200);
    });

    it('lets a library admin delete it; then it is gone for everyone', async () => {
      const id = await t.createLibrary({ name: 'Doomed' });
      await t.grant(id, libraryAdmin.id, 'admin');
      await t.grant(id, reader.id, 'read');
      const response = await t.as(libraryAdmin).delete(`/libraries/${id}`).expect(204);
      expect(response.text).toBe('');
      const everyone = [t.admin, libraryAdmin, reader];
      await Promise.all(everyone.map((who) => t.as(who).get(`/libraries/${id}`).expect(404)));
      const lists = await Promise.all(
        everyone.map((who) => t.as(who).get('/libraries').expect(200)),
      );
      for (const { body } of lists) {
        expect((body as LibraryBody[]).map((library) => library.id)).not.toContain(id);
      }
      const me = await t.as(reader).get('/auth/me').expect(200);
      expect(Object.keys((me.body as { libraries: object }).libraries)).not.toContain(id);
      await t.as(t.admin).delete(`/libraries/${id}`).expect(404);
    });
  });

  describe('library events', () => {
    it('carry neither credentials nor, to a reader, root and settings', async () => {
      const readerStream = await RawSseClient.open(t.baseUrl, '/sse', {
        Authorization: `Bearer ${reader.token}`,
      });
      const adminStream = await RawSseClient.open(t.baseUrl, '/sse', {
        Authorization: `Bearer ${t.admin.token}`,
      });
      try {
        await Promise.all([readerStream, adminStream].map((stream) => stream.waitUntil(isOpen)));
        await t
          .as(t.admin)
          .patch(`/libraries/${libraryId}`)
          .send({ name: 'Evented', credentials: { password: SECRET_PASSWORD } })
          .expect(200);
        await readerStream.waitUntil(hasEvented);
        await adminStream.waitUntil(hasEvented);
        expect(adminStream.body).toContain('"root":"/srv/media/');
        for (const stream of [readerStream, adminStream]) {
          expect(stream.body).not.toContain(SECRET_PASSWORD);
          expect(stream.body).not.toContain('credentials');
        }
        expect(readerStream.body).not.toContain('"root"');
        expect(readerStream.body).not.toContain('"settings"');
      } finally {
        readerStream.close();
        adminStream.close();
      }
    });
  });
});
