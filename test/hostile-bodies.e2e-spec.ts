import { DatabaseService } from '../src/database/database.service.js';
import { ADMIN, createTestApp, type TestApp } from './support/test-app.js';

const nested = (depth: number) => `{"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;

/** Request bodies that were answered with a 500, or accepted where they should not be. */
describe('hostile request bodies', () => {
  let t: TestApp;
  let library: string;

  beforeAll(async () => {
    t = await createTestApp();
    library = await t.createLibrary();
  });
  afterAll(() => t.close());

  it.each([
    ['an unauthenticated login', () => t.http().post('/auth/login')],
    ['a media creation', () => t.as(t.admin).post(`/libraries/${library}/medias`)],
  ])('refuses a body nested 5,000 levels deep on %s with 400', async (_name, request) => {
    const response = await request()
      .set('Content-Type', 'application/json')
      .send(nested(5000))
      .expect(400);
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'The body nests deeper than 32 levels',
    });
    await t.http().post('/auth/login').send(ADMIN).expect(200);
  });

  it.each([
    ['a login', () => t.http().post('/auth/login'), { username: 'ad\u0000min', password: 'x' }],
    [
      'a library',
      () => t.as(t.admin).post('/libraries'),
      { name: 'Holidays\u0000', type: 'photos' },
    ],
    ['a tag', () => t.as(t.admin).post(`/libraries/${library}/tags`), { name: '\u0000' }],
    [
      'a key of a library settings object',
      () => t.as(t.admin).patch(`/libraries/${library}`),
      { settings: { 'a\u0000': 1 } },
    ],
  ])(
    'refuses a NUL character in %s with 400 on every engine, storing nothing',
    async (_name, request, body) => {
      const before = await t.as(t.admin).get('/libraries').expect(200);
      const response = await request().send(body).expect(400);
      expect(response.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'Strings may not contain NUL characters',
      });
      expect((await t.as(t.admin).get('/libraries').expect(200)).body).toEqual(before.body);
    },
  );

  it('still takes a body nested within the limit, judged by validation alone', async () => {
    const response = await t
      .http()
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send(nested(20))
      .expect(400);
    expect(response.body.message).toContain('property x should not exist');
  });

  it('refuses an oversized body with 413', async () => {
    const response = await t
      .http()
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ username: 'admin', password: 'x'.repeat(200 * 1024) }))
      .expect(413);
    expect(response.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it.each([
    [
      'a cross-site form',
      'application/x-www-form-urlencoded',
      'username=admin&password=admin-password-1',
    ],
    ['plain text', 'text/plain', JSON.stringify(ADMIN)],
    ['a multipart form', 'multipart/form-data; boundary=x', '--x--\r\n'],
  ])('refuses %s on a JSON route with 415, and logs nobody in', async (_name, type, body) => {
    const response = await t
      .http()
      .post('/auth/login')
      .set('Content-Type', type)
      .send(body)
      .expect(415);
    expect(response.body).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: 'This route takes application/json',
    });
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('refuses JSON on the upload route, which takes a multipart form', async () => {
    const response = await t
      .as(t.admin)
      .post(`/libraries/${library}/upload`)
      .send({ file: 'x' })
      .expect(415);
    expect(response.body.message).toBe('This route takes multipart/form-data');
  });

  it('keeps a UTF-8 file name as it was sent', async () => {
    const name = 'café 日本.mp4';
    const upload = await t
      .as(t.admin)
      .post(`/libraries/${library}/upload`)
      .attach('file', Buffer.from('data'), name)
      .expect(201);
    expect(upload.body).toMatchObject({ name });
  });

  it('decodes an RFC 5987 file name (filename*)', async () => {
    const boundary = 'reelay-boundary';
    const body = Buffer.from(
      `--${boundary}\r\n` +
        `Content-Disposition: form-data; name="file"; filename*=UTF-8''caf%C3%A9%20%E6%97%A5%E6%9C%AC.mp4\r\n` +
        'Content-Type: video/mp4\r\n\r\n' +
        `data\r\n--${boundary}--\r\n`,
    );
    const upload = await t
      .as(t.admin)
      .post(`/libraries/${library}/upload`)
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body)
      .expect(201);
    expect(upload.body).toMatchObject({ name: 'café 日本.mp4' });
    const row = await t.app
      .get(DatabaseService)
      .db.selectFrom('medias')
      .select('name')
      .where('id', '=', (upload.body as { id: string }).id)
      .executeTakeFirstOrThrow();
    expect(row.name).toBe('café 日本.mp4');
  });
});
