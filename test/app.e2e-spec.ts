import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { RawSseClient } from './support/sse-client.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';

/** Keeps every line the application logs, at every level. */
class RecordingLogger extends ConsoleLogger {
  readonly lines: string[] = [];

  protected override printMessages(messages: unknown[], context = '', level: LogLevel = 'log') {
    this.lines.push(
      `${level} [${context}] ${messages.map((message) => String(message)).join(' ')}`,
    );
  }
}

/** The `refresh=...` pair a response sets, if any. */
function refreshCookie(response: { headers: Record<string, unknown> }): string {
  const cookies = (response.headers['set-cookie'] ?? []) as string[];
  return cookies.find((cookie) => cookie.startsWith('refresh='))?.split(';')[0] ?? '';
}

/** Sends what the process writes to stdout, stderr or the console into `lines`, until restored. */
function captureOutput(lines: string[]): () => void {
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write.bind(stream));
  for (const stream of streams) {
    stream.write = (chunk: unknown) => lines.push(String(chunk)) > 0;
  }
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const originals = methods.map((method) => console[method]);
  for (const method of methods) {
    console[method] = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  }
  return () => {
    streams.forEach((stream, i) => (stream.write = writes[i]));
    methods.forEach((method, i) => (console[method] = originals[i]));
  };
}

describe('the HTTP application', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('error bodies', () => {
    it('answers an unknown route with a JSON 404, naming the path but not the query', async () => {
      const response = await t
        .http()
        .get('/no/such/route')
        .query({ token: t.admin.token, page: 2 })
        .expect(404);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'Cannot GET /no/such/route',
      });
      expect(response.text).not.toContain(t.admin.token);
      const post = await t.http().post('/libraries/x/y/z').send({}).expect(404);
      expect(post.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'Cannot POST /libraries/x/y/z',
      });
    });

    it('answers a body over the parser limit with a JSON 413', async () => {
      const response = await t
        .http()
        .post('/auth/login')
        .send({ username: 'admin', password: 'x'.repeat(200_000) })
        .expect(413);
      expect(response.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'request entity too large',
      });
    });

    it('answers malformed JSON with a JSON 400, on public and protected routes', async () => {
      const responses = await Promise.all(
        [
          t.http().post('/auth/login'),
          t.http().post('/libraries').set('Authorization', `Bearer ${t.admin.token}`),
        ].map((request) =>
          request.set('Content-Type', 'application/json').send('{"name": "x",}').expect(400),
        ),
      );
      for (const response of responses) {
        expect(response.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: expect.stringContaining('JSON'),
        });
      }
    });

    it('answers a JSON body in an unknown charset with a JSON 415', async () => {
      const response = await t
        .http()
        .post('/auth/login')
        .set('Content-Type', 'application/json; charset=klingon')
        .send('{}')
        .expect(415);
      expect(response.body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: 'unsupported charset "KLINGON"',
      });
    });

    it('refuses a JSON body that is not an object', async () => {
      const response = await t
        .http()
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send('"admin"')
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });

    it('sends no framework banner', async () => {
      const response = await t.http().get('/health').expect(200);
      expect(response.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('OpenAPI', () => {
    it('serves the documentation page at /api/docs without a token', async () => {
      const response = await t.http().get('/api/docs').redirects(1).expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain('swagger');
    });

    it('declares bearer and cookie authentication and the foundation routes', async () => {
      const response = await t.http().get('/api/docs-json').expect(200);
      const document = response.body as {
        openapi: string;
        paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
        components: { securitySchemes: Record<string, Record<string, string>> };
      };
      expect(document.openapi).toMatch(/^3\./);
      expect(Object.values(document.components.securitySchemes)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'http', scheme: 'bearer' }),
          expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'token' }),
        ]),
      );
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/auth/login',
          '/auth/me',
          '/users',
          '/users/{id}',
          '/libraries',
          '/libraries/{id}',
          '/libraries/{id}/users/{userId}',
        ]),
      );
      expect(document.paths['/auth/me'].get.security).toEqual(
        expect.arrayContaining([{ bearer: [] }, { token: [] }]),
      );
    });

    it('declares every path parameter of every operation, and no other', async () => {
      const response = await t.http().get('/api/docs-json').expect(200);
      const { paths } = response.body as {
        paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      };
      const undeclared: string[] = [];
      for (const [path, operations] of Object.entries(paths)) {
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
        for (const [method, operation] of Object.entries(operations)) {
          const declared = (operation.parameters ?? [])
            .filter((parameter) => parameter.in === 'path')
            .map((parameter) => parameter.name)
            .sort();
          if (declared.join() !== inPath.join()) {
            undeclared.push(`${method} ${path}: declares [${declared.join()}]`);
          }
        }
      }
      expect(Object.keys(paths)).toContain('/libraries/{id}/series/{serieId}/episodes/{itemId}');
      expect(undeclared).toEqual([]);
    });
  });

  describe('logs', () => {
    it('never contain a token passed in the query string, valid or not', async () => {
      const recorder = new RecordingLogger();
      Logger.overrideLogger(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']);
      t.app.useLogger(recorder);
      const written: string[] = [];
      const restoreOutput = captureOutput(written);

      const user = await t.createUser();
      const now = Math.floor(Date.now() / 1000);
      const expired = jwt.sign({ iat: now - 100, exp: now - 10 }, TEST_JWT_SECRET, {
        issuer: 'reelay',
        subject: user.id,
      });
      const forged = jwt.sign({}, 'f'.repeat(40), { issuer: 'reelay', subject: user.id });
      const useEverywhere = async (token: string) => {
        await Promise.all([
          t.http().get('/auth/me').query({ token }),
          t.http().get('/users').query({ token }),
          t.http().get('/libraries/not-a-uuid').query({ token }),
          t.http().get('/nowhere').query({ token }),
          t.http().post('/libraries').query({ token }).send({ name: 'x', type: 'photos' }),
        ]);
        const stream = await RawSseClient.open(
          t.baseUrl,
          `/sse?token=${encodeURIComponent(token)}`,
        );
        await stream.waitUntil((client) => client.received.includes('\r\n\r\n'));
        stream.close();
      };
      const tokens = [t.admin.token, user.token, expired, forged, 'not-a-jwt-but-secret-1234'];
      try {
        await Promise.all(tokens.map((token) => useEverywhere(token)));
        // The recorder is in place: the application's own loggers write to it.
        new Logger('Probe').debug('probe line');
      } finally {
        restoreOutput();
      }

      expect(recorder.lines).toContain('debug [Probe] probe line');
      const everything = [...recorder.lines, ...written].join('\n');
      for (const token of tokens) {
        expect(everything).not.toContain(token);
        expect(everything).not.toContain(encodeURIComponent(token));
        expect(everything).not.toContain(token.split('.')[2] ?? token);
      }
    });

    it("never contain a refresh cookie's secret, through a rotation, a reuse and a logout", async () => {
      const recorder = new RecordingLogger();
      Logger.overrideLogger(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']);
      t.app.useLogger(recorder);
      const written: string[] = [];
      const restoreOutput = captureOutput(written);

      const secrets: string[] = [];
      try {
        const user = await t.createUser();
        const login = await t
          .http()
          .post('/auth/login')
          .send({ username: user.username, password: user.password })
          .expect(200);
        const first = refreshCookie(login);
        const rotated = await t.http().post('/auth/refresh').set('Cookie', first).expect(200);
        const second = refreshCookie(rotated);
        await t.http().post('/auth/refresh').set('Cookie', first).expect(200);
        await t.http().post('/auth/logout').set('Cookie', second).expect(204);
        await t.http().post('/auth/refresh').set('Cookie', second).expect(401);
        secrets.push(...[first, second].map((cookie) => cookie.split('.')[1]));
        new Logger('Probe').debug('probe line');
      } finally {
        restoreOutput();
      }

      expect(recorder.lines).toContain('debug [Probe] probe line');
      expect(secrets).toHaveLength(2);
      const everything = [...recorder.lines, ...written].join('\n');
      for (const secret of secrets) {
        expect(secret).toMatch(/^[\w-]{43}$/);
        expect(everything).not.toContain(secret);
      }
    });
  });
});
