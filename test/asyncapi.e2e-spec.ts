import { type AsyncAPIDocumentInterface, type Diagnostic, Parser } from '@asyncapi/parser';
import { Ajv, type ValidateFunction } from 'ajv';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_NAMES } from '../src/events/event-catalog.js';
import { laggedNotice } from '../src/events/sse/sse-frames.js';
import { RecordingSocket } from './support/socketio-client.js';
import { SseFrameClient } from './support/sse-frame-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const RETRY_MS = 1500;
const KEEPALIVE_MS = 250;
/** Small, so that a resume from the first events finds them gone and gets `resync`. */
const HISTORY_SIZE = 4;
const NOTICES = ['lagged', 'resync'];

/**
 * The parser's severities by their number (its DiagnosticSeverity enum comes from two versions of
 * @stoplight/types, whose members do not compare with one another).
 */
const SEVERITIES = ['error', 'warning', 'information', 'hint'];

interface SecuritySchemeJson {
  type: string;
  scheme?: string;
  in?: string;
  name?: string;
}

/** The parser's diagnostics of these severities, as readable lines. */
function diagnosticsOf(diagnostics: Diagnostic[], severities: string[]): string[] {
  return diagnostics
    .map(({ severity, code, message, path }) => ({
      severity: SEVERITIES[severity],
      line: `${SEVERITIES[severity]} ${code} ${path.join('.')}: ${message}`,
    }))
    .filter(({ severity }) => severities.includes(severity))
    .map(({ line }) => line);
}

async function streamTicket(t: TestApp): Promise<string> {
  const response = await t.as(t.admin).post('/auth/stream-ticket').expect(201);
  return (response.body as { ticket: string }).ticket;
}

const hasEveryEvent = (names: string[]) => EVENT_NAMES.every((name) => names.includes(name));

/** The events of an SSE stream, as a client reads them. */
function sseEvents(client: SseFrameClient): { name: string; id?: string; data: unknown }[] {
  return client.events.map((frame) => ({
    name: frame.event ?? 'message',
    id: frame.id,
    data: JSON.parse(frame.data ?? 'null') as unknown,
  }));
}

const openClients: { close(): unknown }[] = [];
function track<C extends { close(): unknown }>(client: C): C {
  openClients.push(client);
  return client;
}
afterEach(async () => {
  // Socket.IO clients resolve once closed; SSE ones close at once.
  await Promise.all(openClients.splice(0).map(async (client) => client.close()));
});

describe('GET /api/events.json: the AsyncAPI document of the event API', () => {
  let t: TestApp;
  let workDir: string;
  let served: { text: string; contentType: string };
  let raw: Record<string, unknown>;
  let parsed: AsyncAPIDocumentInterface;
  let diagnostics: Diagnostic[];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'reelay-asyncapi-'));
    t = await createTestApp({
      SSE_RETRY_MS: String(RETRY_MS),
      SSE_KEEPALIVE_MS: String(KEEPALIVE_MS),
      SSE_HISTORY_SIZE: String(HISTORY_SIZE),
    });
    // Without credentials: the document is public.
    const response = await t.http().get('/api/events.json').expect(200);
    served = { text: response.text, contentType: response.headers['content-type'] };
    raw = JSON.parse(response.text) as Record<string, unknown>;
    const result = await new Parser().parse(served.text);
    diagnostics = result.diagnostics;
    if (!result.document)
      throw new Error(diagnosticsOf(diagnostics, ['error', 'warning']).join('\n'));
    parsed = result.document;
  });
  afterAll(async () => {
    await t.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('is public JSON, the same document on every request', async () => {
    expect(served.contentType).toBe('application/json; charset=utf-8');
    expect(raw).toMatchObject({ asyncapi: '3.0.0', info: { title: 'Reelay' } });
    const again = await t.http().get('/api/events.json').expect(200);
    expect(again.text).toBe(served.text);
  });

  it('is a valid AsyncAPI 3.0 document for the official parser: no error, no warning', async () => {
    expect(diagnosticsOf(diagnostics, ['error', 'warning'])).toEqual([]);
    // The parser does find what is wrong: the same document with one reference broken.
    const broken = structuredClone(raw) as {
      components: { messages: { medias: { payload: { properties: { Medias: object } } } } };
    };
    broken.components.messages.medias.payload.properties.Medias = {
      $ref: '#/components/schemas/NoSuchMessage',
    };
    const { diagnostics: brokenDiagnostics } = await new Parser().parse(JSON.stringify(broken));
    expect(diagnosticsOf(brokenDiagnostics, ['error'])).not.toEqual([]);
  });

  it("lists on each transport exactly the catalog's events, and lagged and resync", () => {
    const expected = [...EVENT_NAMES, ...NOTICES];
    const transports = parsed
      .channels()
      .all()
      .map((channel) => ({
        address: channel.address(),
        protocols: channel
          .servers()
          .all()
          .map((server) => server.protocol()),
        messages: channel
          .messages()
          .all()
          .map((message) => message.name()),
      }));
    expect(transports).toEqual([
      { address: '/sse', protocols: ['http'], messages: expected },
      { address: '/', protocols: ['ws'], messages: expected },
    ]);
    const operations = parsed
      .operations()
      .all()
      .map((operation) => ({
        action: operation.action(),
        channels: operation
          .channels()
          .all()
          .map((channel) => channel.address()),
        messages: operation.messages().all().length,
      }));
    expect(operations).toEqual([
      { action: 'send', channels: ['/sse'], messages: expected.length },
      { action: 'send', channels: ['/'], messages: expected.length },
    ]);
  });

  it('gives the version of package.json and says what GET /sse sends besides events', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(parsed.info().version()).toBe(version);

    const description = parsed.channels().get('sse')?.description() ?? '';
    expect(description).toContain(`\`retry: ${RETRY_MS}\``);
    expect(description).toContain(`\`:ping\` after ${KEEPALIVE_MS} ms`);
    const stream = track(await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token));
    await stream.waitUntil((client) => client.frames.some((frame) => frame.comment === 'ping'));
    expect(stream.frames[0].retry).toBe(String(RETRY_MS));
  });

  it('names as security schemes the credentials a stream is opened with', async () => {
    const schemes = (raw.components as { securitySchemes: Record<string, SecuritySchemeJson> })
      .securitySchemes;
    expect(Object.keys(schemes).length).toBeGreaterThanOrEqual(4);
    /** Opens `GET /sse` with `value` where the scheme says, and gives its status. */
    const statusWith = async (scheme: SecuritySchemeJson, value: string): Promise<number> => {
      const headers: Record<string, string> = {};
      let path = '/sse';
      if (scheme.type === 'http' && scheme.scheme === 'bearer') {
        headers.Authorization = `Bearer ${value}`;
      } else if (scheme.in === 'cookie') {
        headers.Cookie = `${scheme.name}=${value}`;
      } else if (scheme.in === 'query') {
        path = `/sse?${scheme.name}=${encodeURIComponent(value)}`;
      } else {
        throw new Error(`a scheme this test cannot use: ${JSON.stringify(scheme)}`);
      }
      const client = track(await SseFrameClient.open(t.baseUrl, path, { headers }));
      await client.waitUntil((c) => c.status !== 0);
      client.close();
      return client.status;
    };
    const verdicts = await Promise.all(
      Object.entries(schemes).map(async ([name, scheme]) => {
        const value = scheme.name === 'ticket' ? await streamTicket(t) : t.admin.token;
        return {
          name,
          admitted: await statusWith(scheme, value),
          forged: await statusWith(scheme, `${value}x`),
        };
      }),
    );
    expect(verdicts).toEqual(
      Object.keys(schemes).map((name) => ({ name, admitted: 200, forged: 401 })),
    );
  });

  describe("the payload schemas, against the server's real events", () => {
    const validators = new Map<string, ValidateFunction>();

    beforeAll(() => {
      const ajv = new Ajv({ strict: false, allErrors: true });
      for (const message of parsed.channels().get('sse')?.messages().all() ?? []) {
        validators.set(message.name() ?? '', ajv.compile(message.payload()?.json() ?? false));
      }
    });

    /** Why `data` does not fit the payload of the event `name`, or nothing. */
    const misfits = (name: string, data: unknown): string[] => {
      const validate = validators.get(name);
      if (!validate) return [`${name}: no such message`];
      if (validate(data)) return [];
      return (validate.errors ?? []).map(
        (error) => `${name}${error.instancePath} ${error.message} (${JSON.stringify(data)})`,
      );
    };

    it('fits every event that REST changes publish, as SSE and Socket.IO deliver them', async () => {
      const admin = t.as(t.admin);
      const adminStream = track(await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token));
      const adminSocket = track(
        await RecordingSocket.open(t.baseUrl, { query: { token: t.admin.token } }),
      );

      const root = join(workDir, 'root');
      mkdirSync(root);
      writeFileSync(join(root, 'pilot.mkv'), 'pilot');
      const library = await t.createLibrary({ name: 'Shows', type: 'shows', root });
      const reader = await t.createUser();
      await t.grant(library, reader.id, 'read');
      const readerStream = track(await SseFrameClient.stream(t.baseUrl, '/sse', reader.token));
      // A library event as its admins and as its readers see it.
      await admin.patch(`/libraries/${library}`).send({ name: 'Shows, renamed' }).expect(200);

      // A Matroska signature, then nothing ffmpeg can read: the conversion fails, and says so.
      const junk = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.from('junk')]);
      const media = (
        await admin
          .post(`/libraries/${library}/upload`)
          .attach('file', junk, 'junk.mkv')
          .expect(201)
      ).body as { id: string };
      await admin.post(`/libraries/${library}/scan`).expect(202);
      await admin
        .post(`/libraries/${library}/medias/${media.id}/convert`)
        .send({ container: 'mp4' })
        .expect(202);
      const serie = (
        await admin.post(`/libraries/${library}/series`).send({ name: 'Serie' }).expect(201)
      ).body as { id: string };
      await admin
        .post(`/libraries/${library}/series/${serie.id}/episodes`)
        .send({ name: 'Pilot', season: 1, number: 1 })
        .expect(201);
      await admin
        .post(`/libraries/${library}/movies`)
        .send({ name: 'Movie', year: 2001 })
        .expect(201);
      await admin.post(`/libraries/${library}/people`).send({ name: 'Person' }).expect(201);
      await admin.post(`/libraries/${library}/tags`).send({ name: 'Tag' }).expect(201);
      await admin
        .put(`/libraries/${library}/medias/${media.id}/progress`)
        .send({ progress: 42 })
        .expect(200);
      await admin
        .put(`/libraries/${library}/medias/${media.id}/rating`)
        .send({ rating: 4 })
        .expect(200);
      const backup = (
        await admin.post('/backups').send({ name: 'Nightly', library, path: 'nightly' }).expect(201)
      ).body as { id: string };
      await admin.post(`/backups/${backup.id}/run`).expect(202);

      await adminStream.waitUntil(
        (client) => hasEveryEvent(client.events.map((frame) => frame.event ?? '')),
        30_000,
      );
      await adminSocket.waitUntil(
        (events) => hasEveryEvent(events.map((event) => event.type)),
        30_000,
      );
      await readerStream.waitUntil((client) =>
        client.events.some((frame) => frame.event === 'library'),
      );

      const readerEvents = sseEvents(readerStream);
      const delivered = [
        ...sseEvents(adminStream),
        ...readerEvents,
        ...adminSocket.events.map(({ type, id, data }) => ({ name: type, id, data })),
      ];
      expect(delivered.length).toBeGreaterThan(EVENT_NAMES.length * 2);
      expect(delivered.flatMap(({ name, data }) => misfits(name, data))).toEqual([]);
      // Each event comes with its id; the notices, which this run may or may not have, with none.
      expect(
        delivered.filter(({ name, id }) => (id === undefined) !== NOTICES.includes(name)),
      ).toEqual([]);
      // The reader's view of a library event, which leaves out what only its admins see, fits too.
      const readersLibrary = readerEvents.find((event) => event.name === 'library')?.data as {
        Library: { library: Record<string, unknown> };
      };
      expect(readersLibrary.Library.library).toMatchObject({ id: library, name: 'Shows, renamed' });
      expect(Object.keys(readersLibrary.Library.library)).not.toContain('root');
    });

    it('fits resync, sent on a resume the history no longer holds, and lagged', async () => {
      // More events than the history holds, after the first.
      const library = await t.createLibrary();
      await Promise.all(
        Array.from({ length: HISTORY_SIZE + 1 }, (_, index) =>
          t
            .as(t.admin)
            .post(`/libraries/${library}/tags`)
            .send({ name: `tag ${index}` })
            .expect(201),
        ),
      );
      const stream = track(
        await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token, {
          headers: { 'Last-Event-ID': '1' },
        }),
      );
      await stream.waitUntil((client) => client.events.length > 0);
      const [first] = stream.events;
      expect(first.event).toBe('resync');
      expect(first.id).toBeUndefined();
      expect(misfits('resync', JSON.parse(first.data ?? 'null'))).toEqual([]);

      // The notice as the SSE encoder writes it to a connection that fell behind.
      const lagged = laggedNotice(7).frame.toString();
      const data = /^data: (.*)$/m.exec(lagged)?.[1] ?? 'null';
      expect(misfits('lagged', JSON.parse(data))).toEqual([]);
      expect(misfits('lagged', { Lagged: { skipped: 'seven' } })).not.toEqual([]);
    });
  });
});
