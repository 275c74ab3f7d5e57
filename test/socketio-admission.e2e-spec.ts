import type { Server } from 'socket.io';
import { TOKEN_FAILURE_MESSAGES, type TokenFailure } from '../src/auth/token.service.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { publishMessage, sampleMessage } from './support/event-samples.js';
import { engineHandshakePath, rawExchange, until, upgradeRequest } from './support/raw-exchange.js';
import { RecordingSocket, socketIoServer } from './support/socketio-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

/** Each of these used to hold an engine.io session, anonymous, for socket.io's 45 s. */
const ATTEMPTS = 200;
const JSON_TYPE = 'application/json; charset=utf-8';

const refusalBody = (reason: TokenFailure) => ({
  statusCode: 401,
  error: 'Unauthorized',
  message: TOKEN_FAILURE_MESSAGES[reason],
});

describe('engine.io sessions only for a valid token (a flood of anonymous handshakes)', () => {
  let t: TestApp;
  let engine: Server['engine'];

  beforeAll(async () => {
    t = await createTestApp();
    engine = socketIoServer(t.app).engine;
  });
  afterAll(() => t.close());

  it.each<[string, Record<string, string>, TokenFailure]>([
    ['no token', {}, 'missing'],
    ['a garbage token', { token: 'garbage' }, 'invalid'],
  ])(
    `refuses ${ATTEMPTS} polling handshakes with %s, each with 401, and holds no session`,
    async (_case, query, reason) => {
      const responses = await Promise.all(
        Array.from({ length: ATTEMPTS }, () => t.http().get(engineHandshakePath('polling', query))),
      );
      expect(
        responses.map((response) => [response.status, response.get('Content-Type'), response.body]),
      ).toEqual(Array.from({ length: ATTEMPTS }, () => [401, JSON_TYPE, refusalBody(reason)]));
      expect(engine.clientsCount).toBe(0);
    },
  );

  it(`refuses ${ATTEMPTS} socket.io clients whose only token is a valid auth.token`, async () => {
    const refusals = await Promise.all(
      Array.from({ length: ATTEMPTS }, () =>
        RecordingSocket.refusedHandshake(t.baseUrl, { auth: { token: t.admin.token } }),
      ),
    );
    expect(refusals).toEqual(
      Array.from({ length: ATTEMPTS }, () => ({
        message: 'xhr poll error',
        status: 401,
        body: refusalBody('missing'),
      })),
    );
    expect(engine.clientsCount).toBe(0);
  });

  it('opens a session for a valid token in the query, and delivers events to it', async () => {
    const library = await t.createLibrary();
    const client = await RecordingSocket.open(t.baseUrl, {
      transports: ['polling'],
      query: { token: t.admin.token },
    });
    expect(engine.clientsCount).toBe(1);
    publishMessage(
      t.app.get(EventsPublisher),
      'medias',
      sampleMessage('medias', { library, userRef: t.admin.id, tag: 1 }),
    );
    const [event] = await client.waitFor(1);
    expect(event).toMatchObject({ type: 'medias', data: { Medias: { library } } });
    await client.close();
    await until(() => engine.clientsCount === 0, 'the session to close');
  });

  it('passes a request of a session on to engine.io, reading sid as engine.io does', async () => {
    const unknown = await t
      .http()
      .get('/socket.io/?EIO=4&transport=polling&sid=unknown')
      .expect(400);
    expect(unknown.body).toEqual({ code: 1, message: 'Session ID unknown' });
    // engine.io keeps the last of a repeated parameter: to it this is a handshake.
    const repeated = await t
      .http()
      .get('/socket.io/?EIO=4&transport=polling&sid=unknown&sid=')
      .expect(401);
    expect(repeated.body).toEqual(refusalBody('missing'));
    expect(engine.clientsCount).toBe(0);
  });

  it('closes an authenticated session that does not join the namespace within 10 s', async () => {
    const started = Date.now();
    const exchange = await rawExchange(
      t.baseUrl,
      upgradeRequest(engineHandshakePath('websocket', { token: t.admin.token })),
    );
    try {
      await until(() => exchange.received.startsWith('HTTP/1.1 101 '), 'the upgrade');
      await until(() => engine.clientsCount === 1, 'the session');
      await until(() => engine.clientsCount === 0, 'the session to be closed', 15_000);
      const held = Date.now() - started;
      expect(held).toBeGreaterThanOrEqual(9_500);
      expect(held).toBeLessThan(12_000);
    } finally {
      exchange.socket.destroy();
    }
  }, 20_000);
});
