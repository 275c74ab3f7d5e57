import jwt from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import { TOKEN_FAILURE_MESSAGES, TokenService } from '../src/auth/token.service.js';
import { EventHub } from '../src/events/event-hub.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import type { EventName } from '../src/events/event-catalog.js';
import {
  EVENT_NAMES,
  expectedData,
  publishMessage,
  sampleMessage,
} from './support/event-samples.js';
import { eventually } from './support/eventually.js';
import { engineHandshakePath, rawExchange, until, upgradeRequest } from './support/raw-exchange.js';
import { RecordingSocket, socketIoServer, type SocketEvent } from './support/socketio-client.js';
import { createTestApp, type TestApp, type TestUser } from './support/test-app.js';

interface Stats {
  lastEventId: number;
  socketio: { connections: number; queuedBytes: number; queuedEvents: number };
}

async function statsOf(t: TestApp): Promise<Stats> {
  const response = await t
    .http()
    .get('/events/stats')
    .set('Authorization', `Bearer ${t.admin.token}`)
    .expect(200);
  return response.body as Stats;
}

function waitForConnections(t: TestApp, count: number): Promise<Stats> {
  return eventually(
    () => statsOf(t),
    (stats) => stats.socketio.connections === count,
  );
}

function sign(key: KeyObject | string, payload: object, options: jwt.SignOptions): string {
  return jwt.sign(payload, key, { algorithm: 'HS256', issuer: 'reelay', ...options });
}

/** A token with `alg: none` and no signature, which a careless verifier would accept. */
function unsigned(payload: object): string {
  const parts = [{ alg: 'none', typ: 'JWT' }, payload].map((part) =>
    Buffer.from(JSON.stringify(part)).toString('base64url'),
  );
  return `${parts.join('.')}.`;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The answer to a refused websocket upgrade, byte for byte. */
function refusedUpgrade(body: object): string {
  const text = JSON.stringify(body);
  return (
    'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n' +
    `Content-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
  );
}

const ids = (events: SocketEvent[]) => events.map((event) => event.id);

const mediaIds = (events: SocketEvent[]) =>
  events.map(
    (event) =>
      (event.data as { Medias: { medias: { media: { id: string } }[] } }).Medias.medias[0].media.id,
  );

describe('Socket.IO channel', () => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;
  let other: string;

  beforeAll(async () => {
    t = await createTestApp();
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary({ name: 'Photos' });
    other = await t.createLibrary({ name: 'Other' });
  });
  afterAll(() => t.close());

  const publish = (name: EventName, tag: number, lib = library, userRef = t.admin.id) => {
    const message = sampleMessage(name, { library: lib, userRef, tag });
    publishMessage(publisher, name, message);
    return message;
  };
  const open = (user: TestUser, options: Parameters<typeof RecordingSocket.open>[1] = {}) =>
    RecordingSocket.open(t.baseUrl, { ...options, query: { token: user.token, ...options.query } });

  it.each([['websocket'], ['polling']])(
    'delivers each of the 14 event types over %s with its name, payload and id',
    async (transport) => {
      const client = await open(t.admin, { transports: [transport] });
      const { lastEventId } = await statsOf(t);
      const expected = EVENT_NAMES.map((name, index) => ({
        type: name,
        id: lastEventId + index + 1,
        data: expectedData(name, publish(name, index), true),
      }));
      await client.waitFor(EVENT_NAMES.length);
      expect(client.events).toEqual(expected);
      await client.close();
    },
  );

  it('upgrades from polling to websocket without losing or repeating an event', async () => {
    const client = await open(t.admin, { transports: ['polling', 'websocket'] });
    const { lastEventId } = await statsOf(t);
    for (let tag = 0; tag < 50; tag++) {
      publish('tags', tag);
      // oxlint-disable-next-line no-await-in-loop -- spread over the upgrade, one at a time
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await client.waitFor(50);
    expect(ids(client.events)).toEqual(Array.from({ length: 50 }, (_, i) => lastEventId + i + 1));
    expect(client.socket.io.engine.transport.name).toBe('websocket');
    await client.close();
  });

  describe('authentication', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await t.createUser();
      await t.grant(library, user.id, 'read');
    });

    it.each<[string, (token: string) => Parameters<typeof RecordingSocket.open>[1]]>([
      [
        'the Authorization header',
        (token) => ({ extraHeaders: { authorization: `Bearer ${token}` } }),
      ],
      ['the token cookie', (token) => ({ extraHeaders: { cookie: `theme=dark; token=${token}` } })],
      ['the token query', (token) => ({ query: { token } })],
    ])('accepts a token from %s', async (_source, options) => {
      const client = await RecordingSocket.open(t.baseUrl, options(user.token));
      publish('medias', 1);
      const [event] = await client.waitFor(1);
      expect(event).toMatchObject({ type: 'medias', data: { Medias: { library } } });
      await client.close();
    });

    it.each<[string, () => Promise<string | undefined>, keyof typeof TOKEN_FAILURE_MESSAGES]>([
      ['no token', () => Promise.resolve(undefined), 'missing'],
      ['a malformed token', () => Promise.resolve('not-a-jwt'), 'invalid'],
      [
        'an expired token',
        () =>
          Promise.resolve(
            sign(
              t.app.get(TokenService).key,
              { exp: Math.floor(Date.now() / 1000) - 10 },
              { subject: user.id },
            ),
          ),
        'expired',
      ],
      [
        'a token signed with another key',
        () =>
          Promise.resolve(
            sign(
              'another-secret-that-is-long-enough-0123456789',
              {},
              { subject: user.id, expiresIn: 60 },
            ),
          ),
        'invalid',
      ],
      [
        'an unsigned token (alg none)',
        () =>
          Promise.resolve(
            unsigned({ sub: user.id, iss: 'reelay', exp: Math.floor(Date.now() / 1000) + 60 }),
          ),
        'invalid',
      ],
      [
        'the token of a deleted user',
        async () => {
          const doomed = await t.createUser();
          await t
            .http()
            .delete(`/users/${doomed.id}`)
            .set('Authorization', `Bearer ${t.admin.token}`)
            .expect(204);
          return doomed.token;
        },
        'unknown-user',
      ],
    ])(
      'refuses %s before an engine.io session exists, saying why',
      async (_case, token, reason) => {
        const value = await token();
        const query: Record<string, string> = value === undefined ? {} : { token: value };
        const body = {
          statusCode: 401,
          error: 'Unauthorized',
          message: TOKEN_FAILURE_MESSAGES[reason],
        };
        const { engine } = socketIoServer(t.app);
        await until(() => engine.clientsCount === 0, 'the sessions of earlier tests to close');
        const before = (await statsOf(t)).socketio.connections;

        // What socket.io-client learns over each transport.
        expect(await RecordingSocket.refusedHandshake(t.baseUrl, { query })).toEqual({
          message: 'xhr poll error',
          status: 401,
          body,
        });
        const client = new RecordingSocket(t.baseUrl, { query });
        const error = await client.refused();
        expect(error.message).toBe('websocket error');
        expect((error.description as { message?: unknown }).message).toBe(
          'Unexpected server response: 401',
        );
        publish('medias', 2);
        expect(client.events).toEqual([]);
        await client.close();

        // What the server sends.
        const polling = await t
          .http()
          .get(engineHandshakePath('polling', query))
          .expect(401)
          .expect('Content-Type', JSON_TYPE);
        expect(polling.body).toEqual(body);
        const upgrade = await rawExchange(
          t.baseUrl,
          upgradeRequest(engineHandshakePath('websocket', query)),
        );
        await until(() => upgrade.closed, 'the refused upgrade to be closed');
        expect(upgrade.received).toBe(refusedUpgrade(body));

        expect(engine.clientsCount).toBe(0);
        expect((await statsOf(t)).socketio.connections).toBe(before);
      },
    );

    it('refuses a token in the query when the header holds a bad one, as HTTP does', async () => {
      const refusal = await RecordingSocket.refusedHandshake(t.baseUrl, {
        extraHeaders: { authorization: 'Basic abc' },
        query: { token: user.token },
      });
      expect(refusal).toMatchObject({
        status: 401,
        body: { message: TOKEN_FAILURE_MESSAGES.missing },
      });
    });
  });

  describe('handshake options', () => {
    it.each([
      [','],
      ['x'.repeat(200)],
      [Array.from({ length: 1001 }, (_, i) => `l${i}`).join(',')],
    ])('refuses the libraries filter %#, with the message GET /sse gives', async (libraries) => {
      const sse = await t
        .http()
        .get('/sse')
        .query({ libraries })
        .set('Authorization', `Bearer ${t.admin.token}`)
        .expect(400);
      const client = new RecordingSocket(t.baseUrl, {
        query: { token: t.admin.token, libraries },
      });
      const error = await client.refused();
      expect(error.message).toBe((sse.body as { message: string }).message);
      expect(error.data).toEqual(sse.body);
      await client.close();
    });

    it('refuses a resume point that is not an event id', async () => {
      const client = new RecordingSocket(t.baseUrl, {
        auth: { lastEventId: 'yesterday' },
        query: { token: t.admin.token },
      });
      const error = await client.refused();
      expect(error.message).toMatch(/whole number/);
      expect(error.data).toMatchObject({ statusCode: 400 });
      await client.close();
    });

    it('checks the token before the options, so a stranger learns nothing from them', async () => {
      const refusal = await RecordingSocket.refusedHandshake(t.baseUrl, {
        query: { libraries: ',' },
      });
      expect(refusal).toMatchObject({
        status: 401,
        body: { message: TOKEN_FAILURE_MESSAGES.missing },
      });
    });

    it('narrows library events to the libraries asked for; events of no library pass', async () => {
      const client = await open(t.admin, { query: { libraries: `${other},unknown` } });
      const { lastEventId } = await statsOf(t);
      publish('medias', 1, library);
      publish('medias', 2, other);
      publishMessage(
        publisher,
        'backups',
        sampleMessage('backups', { library: null, userRef: t.admin.id, tag: 3 }),
      );
      const events = await client.waitFor(2);
      expect(events.map(({ type, id }) => [type, id])).toEqual([
        ['medias', lastEventId + 2],
        ['backups', lastEventId + 3],
      ]);
      await client.close();
    });
  });

  describe('lifecycle', () => {
    it('keeps no state for a socket that left', async () => {
      const hub = t.app.get(EventHub);
      const observers = hub['subject'].observers.length;
      const clients = await Promise.all([open(t.admin), open(t.admin), open(t.admin)]);
      expect((await statsOf(t)).socketio.connections).toBe(3);
      expect(hub['subject'].observers.length).toBe(observers);
      await Promise.all(clients.map((client) => client.close()));
      const stats = await waitForConnections(t, 0);
      expect(stats.socketio).toEqual({ connections: 0, queuedBytes: 0, queuedEvents: 0 });
      publish('medias', 1);
      expect(hub['subject'].observers.length).toBe(observers);
      expect(clients.flatMap((client) => client.events)).toEqual([]);
    });

    it('disconnects the sockets of a user who is deleted', async () => {
      const user = await t.createUser();
      const [first, second] = await Promise.all([open(user), open(user)]);
      const bystander = await open(t.admin);
      await t
        .http()
        .delete(`/users/${user.id}`)
        .set('Authorization', `Bearer ${t.admin.token}`)
        .expect(204);
      expect(await first.disconnected()).toBe('io server disconnect');
      expect(await second.disconnected()).toBe('io server disconnect');
      expect(bystander.socket.connected).toBe(true);
      await waitForConnections(t, 1);
      await bystander.close();
    });

    it('disconnects a socket once its token expires', async () => {
      const user = await t.createUser();
      const expiresAt = (Math.floor(Date.now() / 1000) + 2) * 1000;
      const token = sign(
        t.app.get(TokenService).key,
        { exp: expiresAt / 1000 },
        { subject: user.id },
      );
      const client = await RecordingSocket.open(t.baseUrl, { query: { token } });
      expect(await client.disconnected(10_000)).toBe('io server disconnect');
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      await waitForConnections(t, 0);
    });

    it('stops and starts delivery when a grant changes, without reconnecting', async () => {
      const user = await t.createUser();
      const client = await open(user);
      publish('medias', 1);
      await t.grant(library, user.id, 'read');
      publish('medias', 2);
      await t.grant(library, user.id, 'none');
      publish('medias', 3);
      await t.grant(library, user.id, 'write');
      publish('medias', 4);
      // Events arrive in order: once the last one is in, any wrongly sent one is in too.
      await client.waitUntil((events) => mediaIds(events).includes('item-4'));
      expect(mediaIds(client.events)).toEqual(['item-2', 'item-4']);
      await client.close();
    });
  });

  describe('resume', () => {
    it('replays what a client missed, by its current rights and filter, then goes on live', async () => {
      const user = await t.createUser();
      await t.grant(library, user.id, 'read');
      await t.grant(other, user.id, 'read');
      const first = await open(user, { query: { libraries: library } });
      publish('tags', 1);
      const [seen] = await first.waitFor(1);
      await first.close();

      publish('tags', 2);
      publish('tags', 3, other);
      publish('library-status', 4);
      publish('media_progress', 5, library, user.id);
      await t.grant(library, user.id, 'write');
      publish('tags', 6);
      const missedIds = [seen.id! + 1, seen.id! + 4, seen.id! + 5];

      const second = await open(user, {
        auth: { lastEventId: seen.id },
        query: { libraries: library },
      });
      publish('tags', 7);
      const events = await second.waitFor(4);
      expect(ids(events)).toEqual([...missedIds, seen.id! + 6]);
      expect(events.map((event) => event.type)).toEqual(['tags', 'media_progress', 'tags', 'tags']);
      await second.close();
    });

    it('says resync first when the resume point is newer than any event', async () => {
      const { lastEventId } = await statsOf(t);
      const client = await open(t.admin, { auth: { lastEventId: lastEventId + 1000 } });
      const [notice] = await client.waitFor(1);
      expect(notice).toEqual({
        type: 'resync',
        id: undefined,
        data: { Resync: { reason: expect.stringContaining(`${lastEventId + 1000}`) } },
      });
      await client.close();
    });
  });
});

describe('Socket.IO channel with a client that falls behind', () => {
  const MAX_QUEUE_EVENTS = 16;
  const HISTORY = 10;
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;

  beforeAll(async () => {
    t = await createTestApp({
      SSE_MAX_QUEUE_EVENTS: String(MAX_QUEUE_EVENTS),
      SSE_MAX_QUEUE_BYTES: String(4 * 1024 * 1024),
      SSE_HISTORY_SIZE: String(HISTORY),
    });
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary({ name: 'Big' });
  });
  afterAll(() => t.close());

  it('skips the oldest events for a socket that stops reading, tells it, and spares the others', async () => {
    // 32 MB in all: more than the kernel's socket buffers can hold for the paused client.
    const EVENTS = 500;
    const slow = await RecordingSocket.open(t.baseUrl, { query: { token: t.admin.token } });
    const healthy = await RecordingSocket.open(t.baseUrl, { query: { token: t.admin.token } });
    const { lastEventId: before } = await statsOf(t);
    slow.setReading(false);

    for (let tag = 1; tag <= EVENTS; tag++) {
      publishMessage(
        publisher,
        'upload_progress',
        sampleMessage('upload_progress', { library, userRef: t.admin.id, tag, padding: 64 * 1024 }),
      );
      // oxlint-disable-next-line no-await-in-loop -- the healthy client keeps up, event by event
      await healthy.waitFor(tag);
    }
    const lastId = before + EVENTS;
    expect(ids(healthy.events)).toEqual(Array.from({ length: EVENTS }, (_, i) => before + i + 1));

    const held = (await statsOf(t)).socketio;
    expect(held.queuedEvents).toBeLessThanOrEqual(MAX_QUEUE_EVENTS);
    expect(held.queuedBytes).toBeLessThanOrEqual(4 * 1024 * 1024);

    slow.setReading(true);
    const events = await slow.waitUntil((received) => received.at(-1)?.id === lastId, 15_000);
    const lagged = events.filter((event) => event.type === 'lagged');
    expect(lagged.length).toBeGreaterThan(0);
    let previous = before;
    let skippedTotal = 0;
    let pendingSkip: number | undefined;
    for (const event of events) {
      if (event.type === 'lagged') {
        pendingSkip = (event.data as { Lagged: { skipped: number } }).Lagged.skipped;
        expect(pendingSkip).toBeGreaterThan(0);
        skippedTotal += pendingSkip;
        continue;
      }
      expect(event.id! - previous - 1).toBe(pendingSkip ?? 0);
      pendingSkip = undefined;
      previous = event.id!;
    }
    expect(events.length - lagged.length + skippedTotal).toBe(EVENTS);
    expect((await statsOf(t)).socketio.queuedEvents).toBe(0);
    await Promise.all([slow.close(), healthy.close()]);
  });

  it('says resync first when the history no longer holds the resume point, then replays what it holds', async () => {
    const { lastEventId } = await statsOf(t);
    const client = await RecordingSocket.open(t.baseUrl, {
      auth: { lastEventId: lastEventId - HISTORY - 5 },
      query: { token: t.admin.token },
    });
    const events = await client.waitFor(HISTORY + 1);
    expect(events[0]).toMatchObject({ type: 'resync', id: undefined });
    expect(ids(events.slice(1))).toEqual(
      Array.from({ length: HISTORY }, (_, i) => lastEventId - HISTORY + i + 1),
    );
    await client.close();
  });
});
