import jwt from 'jsonwebtoken';
import { TokenService } from '../src/auth/token.service.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { EVENT_NAMES } from './support/event-samples.js';
import { RawSseClient, RecordingEventSource } from './support/sse-client.js';
import { SseFrameClient } from './support/sse-frame-client.js';
import { createTestApp, type TestApp, type TestUser } from './support/test-app.js';

async function lastEventId(t: TestApp): Promise<number> {
  const response = await t
    .http()
    .get('/events/stats')
    .set('Authorization', `Bearer ${t.admin.token}`)
    .expect(200);
  return (response.body as { lastEventId: number }).lastEventId;
}

function headersOf(raw: RawSseClient): { statusLine: string; headers: Record<string, string> } {
  const [statusLine, ...lines] = raw.received
    .slice(0, raw.received.indexOf('\r\n\r\n'))
    .split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { statusLine, headers };
}

/** A request that must be refused before any stream byte: its status and JSON error body. */
async function refusal(
  t: TestApp,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string; body: unknown; frames: number }> {
  const client = await SseFrameClient.open(t.baseUrl, path, { headers });
  try {
    await client.waitUntil((c) => c.ended);
    return {
      status: client.status,
      contentType: client.headers['content-type'],
      body: JSON.parse(client.body) as unknown,
      frames: client.frames.length,
    };
  } finally {
    client.close();
  }
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token that names a user but carries no signature at all. */
function unsignedToken(subject: string): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub: subject, iss: 'reelay', iat: now, exp: now + 600 };
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
}

const manyIds = (count: number) => Array.from({ length: count }, (_, index) => `l${index}`);

/** Clients a test opened, closed after it whatever its outcome. */
const openClients: { close(): void }[] = [];
function track<C extends { close(): void }>(client: C): C {
  openClients.push(client);
  return client;
}
afterEach(() => {
  for (const client of openClients.splice(0)) client.close();
});

describe('GET /sse: the wire contract', () => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;

  beforeAll(async () => {
    t = await createTestApp();
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary({ name: 'Films', type: 'movies' });
  });
  afterAll(() => t.close());

  it('answers with exactly the SSE headers, `retry` once, then each of the 14 event types byte for byte', async () => {
    const raw = track(
      await RawSseClient.open(t.baseUrl, '/sse', { Authorization: `Bearer ${t.admin.token}` }),
    );
    const es = track(
      new RecordingEventSource(`${t.baseUrl}/sse?token=${t.admin.token}`, EVENT_NAMES),
    );
    await es.opened();
    await raw.waitUntil((c) => c.body.length > 0);

    const { statusLine, headers } = headersOf(raw);
    expect(statusLine).toBe('HTTP/1.1 200 OK');
    expect(headers['content-type']).toBe('text/event-stream');
    expect(headers['cache-control']).toBe('no-cache, no-transform');
    expect(headers['x-accel-buffering']).toBe('no');
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(headers['content-length']).toBeUndefined();
    expect(headers['content-encoding']).toBeUndefined();
    expect(raw.body).toBe('retry: 3000\n\n');

    const L = library;
    const admin = t.admin.id;
    const before = await lastEventId(t);
    publisher.library('Added', {
      id: L,
      name: 'Été 🎬 "quoted"\nline',
      type: 'movies',
      root: '/srv/films',
      settings: { scan: 'daily' },
      createdAt: 1,
      updatedAt: 2,
    });
    publisher.libraryStatus(L, 'Scanning', 42);
    publisher.medias(L, [
      {
        action: 'Added',
        media: {
          id: 'm1',
          library: L,
          name: 'a.mp4',
          mimetype: 'video/mp4',
          size: 5,
          modified: 1,
          added: 2,
          updated: 3,
          origin: 'upload',
        },
      },
    ]);
    publisher.uploadProgress({ library: L, mediaId: 'm1', progress: 50 });
    publisher.convertProgress({ library: L, mediaId: 'm1', progress: 10, status: 'running' });
    publisher.episodes(L, [
      {
        action: 'Updated',
        episode: { id: 'e1', library: L, serie: 's1', name: 'Pilot', season: 1, number: 1 },
      },
    ]);
    publisher.series(L, [{ action: 'Deleted', serie: { id: 's1', library: L, name: 'Show' } }]);
    publisher.movies(L, [{ action: 'Added', movie: { id: 'f1', library: L, name: 'Film' } }]);
    publisher.people(L, [{ action: 'Added', person: { id: 'p1', library: L, name: 'Ann' } }]);
    publisher.tags(L, [{ action: 'Updated', tag: { id: 't1', library: L, name: 'sea' } }]);
    publisher.backups({ id: 'b1', name: 'nightly', library: L, status: 'inProgress' });
    publisher.backupsFiles({ file: 'photos/a.jpg', progress: 30 });
    publisher.mediaProgress(L, { userRef: admin, mediaRef: 'm1', progress: 1200, modified: 5 });
    publisher.mediaRating(L, { userRef: admin, mediaRef: 'm1', rating: 4, modified: 6 });

    const data = [
      `{"Library":{"action":"Added","library":{"id":"${L}","name":"Été 🎬 \\"quoted\\"\\nline","type":"movies","root":"/srv/films","settings":{"scan":"daily"},"createdAt":1,"updatedAt":2}}}`,
      `{"LibraryStatus":{"message":"Scanning","library":"${L}","progress":42}}`,
      `{"Medias":{"library":"${L}","medias":[{"action":"Added","media":{"id":"m1","library":"${L}","name":"a.mp4","mimetype":"video/mp4","size":5,"modified":1,"added":2,"updated":3,"origin":"upload"}}]}}`,
      `{"UploadProgress":{"library":"${L}","mediaId":"m1","progress":50}}`,
      `{"ConvertProgress":{"library":"${L}","mediaId":"m1","progress":10,"status":"running"}}`,
      `{"Episodes":{"library":"${L}","episodes":[{"action":"Updated","episode":{"id":"e1","library":"${L}","serie":"s1","name":"Pilot","season":1,"number":1}}]}}`,
      `{"Series":{"library":"${L}","series":[{"action":"Deleted","serie":{"id":"s1","library":"${L}","name":"Show"}}]}}`,
      `{"Movies":{"library":"${L}","movies":[{"action":"Added","movie":{"id":"f1","library":"${L}","name":"Film"}}]}}`,
      `{"People":{"library":"${L}","people":[{"action":"Added","person":{"id":"p1","library":"${L}","name":"Ann"}}]}}`,
      `{"Tags":{"library":"${L}","tags":[{"action":"Updated","tag":{"id":"t1","library":"${L}","name":"sea"}}]}}`,
      `{"Backups":{"backup":{"id":"b1","name":"nightly","library":"${L}","status":"inProgress"}}}`,
      `{"BackupsFiles":{"file":"photos/a.jpg","progress":30}}`,
      `{"MediaProgress":{"library":"${L}","progress":{"userRef":"${admin}","mediaRef":"m1","progress":1200,"modified":5}}}`,
      `{"MediaRating":{"library":"${L}","rating":{"userRef":"${admin}","mediaRef":"m1","rating":4,"modified":6}}}`,
    ];
    const frames = EVENT_NAMES.map(
      (name, index) => `event: ${name}\nid: ${before + 1 + index}\ndata: ${data[index]}\n\n`,
    );
    const expected = `retry: 3000\n\n${frames.join('')}`;
    await raw.waitUntil((c) => c.body.length >= expected.length);
    expect(raw.body).toBe(expected);

    const received = await es.waitFor(14);
    expect(received.map(({ type, id }) => [type, id])).toEqual(
      EVENT_NAMES.map((name, index) => [name, String(before + 1 + index)]),
    );
    expect(received.map((event) => event.data)).toEqual(data.map((line) => JSON.parse(line)));
    expect(await lastEventId(t)).toBe(before + 14);
  });

  it('stamps global, strictly increasing ids: every connection sees the same id for an event', async () => {
    const first = track(await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token));
    const second = track(await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token));
    const start = await lastEventId(t);
    for (let tag = 0; tag < 20; tag++) {
      publisher.tags(library, [{ action: 'Added', tag: { id: `t${tag}`, library, name: 'x' } }]);
    }
    const ids = Array.from({ length: 20 }, (_, index) => start + 1 + index);
    await first.waitForId(start + 20);
    await second.waitForId(start + 20);
    expect(first.ids).toEqual(ids);
    expect(second.ids).toEqual(ids);
  });

  it('answers HEAD with the headers alone, and opens no stream', async () => {
    const response = await t.as(t.admin).head('/sse').expect(200);
    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(response.text).toBeUndefined();
    const stats = await t.as(t.admin).get('/events/stats').expect(200);
    expect((stats.body as { sse: { connections: number } }).sse.connections).toBe(0);
  });

  describe('401 before any stream byte', () => {
    let doomed: TestUser;
    let key: TokenService['key'];
    const sign = (payload: object, options: jwt.SignOptions, secret: jwt.Secret = key) =>
      jwt.sign(payload, secret, { algorithm: 'HS256', issuer: 'reelay', ...options });

    beforeAll(async () => {
      key = t.app.get(TokenService).key;
      doomed = await t.createUser();
      await t
        .http()
        .delete(`/users/${doomed.id}`)
        .set('Authorization', `Bearer ${t.admin.token}`)
        .expect(204);
    });

    const cases: [string, () => { path: string; headers?: Record<string, string> }][] = [
      ['no token at all', () => ({ path: '/sse' })],
      [
        'a malformed bearer token',
        () => ({ path: '/sse', headers: { Authorization: 'Bearer not.a-jwt' } }),
      ],
      ['a malformed query token', () => ({ path: '/sse?token=abc' })],
      [
        'an empty Authorization header',
        () => ({ path: '/sse', headers: { Authorization: 'Bearer' } }),
      ],
      [
        'an expired token',
        () => ({
          path: `/sse?token=${sign({ exp: Math.floor(Date.now() / 1000) - 60 }, { subject: t.admin.id })}`,
        }),
      ],
      [
        'a token signed with another secret',
        () => ({
          path: '/sse',
          headers: {
            Authorization: `Bearer ${sign({}, { subject: t.admin.id, expiresIn: 600 }, 'another-secret-that-is-long-enough-0123456789')}`,
          },
        }),
      ],
      [
        'an unsigned token (alg none)',
        () => ({ path: '/sse', headers: { Authorization: `Bearer ${unsignedToken(t.admin.id)}` } }),
      ],
      [
        'a token from another issuer',
        () => ({
          path: `/sse?token=${sign({}, { subject: t.admin.id, expiresIn: 600, issuer: 'elsewhere' })}`,
        }),
      ],
      ['the token of a deleted user', () => ({ path: `/sse?token=${doomed.token}` })],
      [
        'the cookie of a deleted user',
        () => ({ path: '/sse', headers: { Cookie: `token=${doomed.token}` } }),
      ],
    ];

    it.each(cases)('%s', async (_name, request) => {
      const { path, headers } = request();
      const answer = await refusal(t, path, headers);
      expect(answer).toMatchObject({ status: 401, frames: 0 });
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(answer.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.any(String) as unknown,
      });
    });
  });

  describe('400 before any stream byte', () => {
    const cases: [string, string, Record<string, string>?][] = [
      ['an empty libraries value', '/sse?libraries='],
      ['libraries with only commas and spaces', '/sse?libraries=%20,%20,'],
      ['more than 1,000 library ids', `/sse?libraries=${manyIds(1001).join(',')}`],
      ['a library id longer than 128 characters', `/sse?libraries=a,${'b'.repeat(129)}`],
      ['a Last-Event-ID header that is not a number', '/sse', { 'Last-Event-ID': 'abc' }],
      ['a negative Last-Event-ID header', '/sse', { 'Last-Event-ID': '-1' }],
      ['a fractional Last-Event-ID header', '/sse', { 'Last-Event-ID': '1.5' }],
      ['a lastEventId query of 16 digits', '/sse?lastEventId=1234567890123456'],
      ['a lastEventId query in exponent form', '/sse?lastEventId=1e3'],
      ['a repeated lastEventId query', '/sse?lastEventId=1&lastEventId=2'],
    ];

    it.each(cases)('%s', async (_name, path, headers = {}) => {
      const answer = await refusal(t, path, {
        Authorization: `Bearer ${t.admin.token}`,
        ...headers,
      });
      expect(answer).toMatchObject({ status: 400, frames: 0 });
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.any(String) as unknown,
      });
    });

    it('accepts exactly 1,000 ids and an id of 128 characters', async () => {
      const paths = [
        `/sse?libraries=${manyIds(1000).join(',')}`,
        `/sse?libraries=${'b'.repeat(128)}`,
      ];
      const clients = await Promise.all(
        paths.map(async (path) =>
          track(await SseFrameClient.stream(t.baseUrl, path, t.admin.token)),
        ),
      );
      await Promise.all(clients.map((client) => client.waitUntil((c) => c.frames.length > 0)));
      expect(clients.map((client) => client.frames[0].text)).toEqual([
        'retry: 3000',
        'retry: 3000',
      ]);
    });
  });
});

describe('GET /sse: SSE_RETRY_MS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ SSE_RETRY_MS: '1234' });
  });
  afterAll(() => t.close());

  it('sends the configured retry once, at connect', async () => {
    const raw = track(
      await RawSseClient.open(t.baseUrl, '/sse', { Authorization: `Bearer ${t.admin.token}` }),
    );
    await t.createLibrary();
    await t.createLibrary();
    await raw.waitUntil((c) => c.body.includes('id: 2\n'));
    expect(raw.body.startsWith('retry: 1234\n\nevent: library\nid: 1\n')).toBe(true);
    expect(raw.body.match(/retry:/g)).toHaveLength(1);
  });
});
