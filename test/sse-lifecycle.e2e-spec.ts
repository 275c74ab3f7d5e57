import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import type { Server, Socket } from 'node:net';
import type { Subject } from 'rxjs';
import { AccessService } from '../src/access/access.service.js';
import { TokenService } from '../src/auth/token.service.js';
import { EventHub } from '../src/events/event-hub.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { SseService } from '../src/events/sse/sse.service.js';
import { RawSseClient, RecordingEventSource } from './support/sse-client.js';
import { SseFrameClient } from './support/sse-frame-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { rawExchange, streamRequest, until } from './support/raw-exchange.js';

const KEEPALIVE_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sseStats(t: TestApp) {
  const response = await t
    .http()
    .get('/events/stats')
    .set('Authorization', `Bearer ${t.admin.token}`)
    .expect(200);
  return (
    response.body as { sse: { connections: number; queuedBytes: number; queuedEvents: number } }
  ).sse;
}

/** Polls the stats until `predicate` holds; returns the last figures either way. */
async function statsWhen(
  t: TestApp,
  predicate: (stats: Awaited<ReturnType<typeof sseStats>>) => boolean,
  timeoutMs = 3000,
) {
  const deadline = Date.now() + timeoutMs;
  let stats = await sseStats(t);
  while (!predicate(stats) && Date.now() < deadline) {
    // oxlint-disable-next-line no-await-in-loop -- one probe at a time, on purpose
    await sleep(20);
    // oxlint-disable-next-line no-await-in-loop -- one probe at a time, on purpose
    stats = await sseStats(t);
  }
  return stats;
}

/**
 * A stream whose client stopped reading, left where the kernel buffers are full and the
 * server's socket holds some bytes but has not asked to wait for `drain`: the state of many a
 * client on a slow network. Its app flushes every turn (`SSE_FLUSH_WINDOW_MS=0`), so that the
 * events go one write each and the socket backs up by one event at a time.
 */
async function backloggedStream(t: TestApp, token: string) {
  const server = t.app.getHttpServer() as Server;
  const accepted = new Map<number, Socket>();
  const onConnection = (socket: Socket) => accepted.set(socket.remotePort ?? 0, socket);
  server.on('connection', onConnection);
  const client = await SseFrameClient.stream(t.baseUrl, '/sse', token, { highWaterMark: 1024 });
  server.off('connection', onConnection);
  client.pause();
  const serverSocket = accepted.get(client.socket.localPort ?? -1) as Socket;
  const publisher = t.app.get(EventsPublisher);
  const name = 'z'.repeat(8 * 1024);
  for (let index = 0; serverSocket.writableLength === 0 && index < 20_000; index++) {
    publisher.backupsFiles({ file: name, progress: index });
    // oxlint-disable-next-line no-await-in-loop -- one event per turn, until the socket backs up
    await new Promise((resolve) => setImmediate(resolve));
    // oxlint-disable-next-line no-await-in-loop -- the flush runs one turn after the event
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(serverSocket.writableLength).toBeGreaterThan(0);
  expect(serverSocket.writableNeedDrain).toBe(false);
  return { client, serverSocket };
}

describe('GET /sse: keepalive', () => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;

  beforeAll(async () => {
    t = await createTestApp({ SSE_KEEPALIVE_MS: String(KEEPALIVE_MS), SSE_FLUSH_WINDOW_MS: '0' });
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary();
  });
  afterAll(() => t.close());

  it('sends `:ping` on a silent connection, no sooner than SSE_KEEPALIVE_MS, and again after', async () => {
    const openedAt = Date.now();
    const raw = await RawSseClient.open(t.baseUrl, '/sse', {
      Authorization: `Bearer ${t.admin.token}`,
    });
    await raw.waitUntil((c) => c.body.includes(':ping\n\n'), 3000);
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(KEEPALIVE_MS);
    expect(raw.body).toBe('retry: 3000\n\n:ping\n\n');
    await raw.waitUntil((c) => c.body.endsWith(':ping\n\n:ping\n\n'), 3000);
    expect(raw.body).toBe('retry: 3000\n\n:ping\n\n:ping\n\n');
    raw.close();
  });

  it('sends no ping while events flow, and pings again once they stop', async () => {
    const client = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token);
    const hub = t.app.get(EventHub);
    const started = Date.now();
    // Each event goes out as soon as the previous one arrived: never silent for long.
    while (Date.now() - started < KEEPALIVE_MS * 4) {
      publisher.tags(library, []);
      // oxlint-disable-next-line no-await-in-loop -- the next event waits for this one
      await client.waitForId(hub.lastEventId);
      // oxlint-disable-next-line no-await-in-loop -- a pause well under the keepalive
      await sleep(KEEPALIVE_MS / 10);
    }
    const flowing = client.frames.slice(1);
    expect(flowing.length).toBeGreaterThan(10);
    expect(flowing.filter((frame) => frame.comment !== undefined)).toEqual([]);
    await client.waitUntil((c) => c.frames.at(-1)?.comment === 'ping', 3000);
    expect(client.frames.at(-1)?.text).toBe(':ping');
    client.close();
  });
});

describe('GET /sse: token expiry', () => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;

  beforeAll(async () => {
    t = await createTestApp({ SSE_KEEPALIVE_MS: String(KEEPALIVE_MS), SSE_FLUSH_WINDOW_MS: '0' });
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary();
  });
  afterAll(() => t.close());

  const tokenExpiringIn = (seconds: number) =>
    jwt.sign({}, t.app.get(TokenService).key, {
      algorithm: 'HS256',
      issuer: 'reelay',
      subject: t.admin.id,
      expiresIn: seconds,
    });

  it('ends the stream when its token expires, while events keep coming, and the server lives on', async () => {
    // `exp` counts whole seconds: a token signed for 1 s may have only milliseconds left, and
    // its stream could end before the first event. 2 s leave it at least one.
    const client = await SseFrameClient.stream(t.baseUrl, '/sse', tokenExpiringIn(2));
    const other = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token);
    // Events every millisecond or so across the moment the stream is ended.
    const timer = setInterval(() => {
      for (let index = 0; index < 5; index++) publisher.tags(library, []);
    }, 1);
    try {
      await client.waitUntil((c) => c.ended, 4000);
      await sleep(100);
    } finally {
      clearInterval(timer);
    }
    expect(client.events.length).toBeGreaterThan(0);
    await t.http().get('/health').expect(200);
    publisher.tags(library, []);
    await other.waitForId(t.app.get(EventHub).lastEventId);
    expect((await statsWhen(t, (s) => s.connections === 1)).connections).toBe(1);
    client.close();
    other.close();
  });

  it('ends, without a write after the end, a stream whose client lags when its token expires', async () => {
    const expiresInSeconds = 3;
    const deadline = (Math.floor(Date.now() / 1000) + expiresInSeconds) * 1000;
    const { client, serverSocket } = await backloggedStream(t, tokenExpiringIn(expiresInSeconds));
    expect(Date.now()).toBeLessThan(deadline);
    await sleep(deadline - Date.now() + 200);
    // The stream was ended but cannot close: its socket still holds bytes. New events come.
    expect(serverSocket.writableLength).toBeGreaterThan(0);
    publisher.tags(library, []);
    publisher.tags(library, []);
    await sleep(KEEPALIVE_MS * 2);
    await t.http().get('/health').expect(200);
    client.resume();
    await client.waitUntil((c) => c.ended, 5000);
    expect((await statsWhen(t, (s) => s.connections === 0)).connections).toBe(0);
    client.close();
  });

  it('ends, without a write after the end, a lagging stream whose user is deleted', async () => {
    const user = await t.createUser('admin');
    const { client, serverSocket } = await backloggedStream(t, user.token);
    await t
      .http()
      .delete(`/users/${user.id}`)
      .set('Authorization', `Bearer ${t.admin.token}`)
      .expect(204);
    expect(serverSocket.writableLength).toBeGreaterThan(0);
    // Silent for longer than the keepalive: a ping would be due, were it still open.
    await sleep(KEEPALIVE_MS * 3);
    await t.http().get('/health').expect(200);
    client.resume();
    await client.waitUntil((c) => c.ended, 5000);
    expect(client.frames.filter((frame) => frame.comment === 'ping')).toEqual([]);
    client.close();
  });
});

describe('GET /sse: cleanup', () => {
  it('forgets every connection once its client leaves', async () => {
    const t = await createTestApp();
    try {
      const library = await t.createLibrary();
      const user = await t.createUser();
      await t.grant(library, user.id, 'read');
      const raw = await RawSseClient.open(t.baseUrl, '/sse', {
        Authorization: `Bearer ${t.admin.token}`,
      });
      const frames = await Promise.all([
        SseFrameClient.stream(t.baseUrl, '/sse', user.token),
        SseFrameClient.stream(t.baseUrl, `/sse?libraries=${library}`, user.token),
      ]);
      const es = new RecordingEventSource(`${t.baseUrl}/sse?token=${user.token}`, ['medias']);
      await es.opened();
      expect((await statsWhen(t, (s) => s.connections === 4)).connections).toBe(4);
      t.app.get(EventsPublisher).medias(library, []);
      await es.waitFor(1);

      raw.close();
      for (const client of frames) client.close();
      es.close();
      expect(await statsWhen(t, (s) => s.connections === 0)).toEqual({
        connections: 0,
        queuedBytes: 0,
        queuedEvents: 0,
      });
    } finally {
      await t.close();
    }
  });

  it('closes the app promptly with clients still connected, leaving no timer or subscription', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const t = await createTestApp({ SSE_KEEPALIVE_MS: '100', SSE_FLUSH_WINDOW_MS: '0' });
    const library = await t.createLibrary();
    const publisher = t.app.get(EventsPublisher);
    const hub = t.app.get(EventHub);
    const access = t.app.get(AccessService);
    const sse = t.app.get(SseService);
    const reading = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token);
    const { client: stalled } = await backloggedStream(t, t.admin.token);
    publisher.tags(library, []);

    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      t.close().then(() => 'closed'),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still open'), 5000);
      }),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe('closed');

    await reading.waitUntil((c) => c.ended || c.closed, 1000);
    // The keepalive timer is unref'd, so no resource count shows it: watch its work instead.
    let sweeps = 0;
    Reflect.set(sse, 'sweep', () => sweeps++);
    await sleep(100);
    expect(sweeps).toBe(0);
    expect(Reflect.get(hub, 'subject') as Subject<unknown>).toHaveProperty('observed', false);
    expect(Reflect.get(access, 'removedUsers') as Subject<unknown>).toHaveProperty(
      'observed',
      false,
    );
    reading.close();
    stalled.close();
    // Sockets the server closed release their own timers a moment later; a leaked interval never.
    let timersAfter = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < 50 && timersAfter > timersBefore; attempt++) {
      // oxlint-disable-next-line no-await-in-loop -- one look at a time
      await sleep(20);
      timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    }
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
  });
});

describe('GET /sse: the connection, once the stream has it', () => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;

  beforeAll(async () => {
    t = await createTestApp();
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary();
  });
  afterAll(() => t.close());

  const tag = (id: string) =>
    publisher.tags(library, [{ action: 'Added', tag: { id, library, name: id } }]);

  it("is let go by Node's HTTP server, and outlives the server's keep-alive timeout", async () => {
    const server = t.app.getHttpServer();
    const keepAliveTimeout = server.keepAliveTimeout;
    const finished: string[] = [];
    const onFinish = (message: unknown) => {
      const { request } = message as { request: IncomingMessage };
      finished.push(request.url ?? '');
    };
    diagnostics.subscribe('http.server.response.finish', onFinish);
    server.keepAliveTimeout = 50;
    const client = await SseFrameClient.stream(t.baseUrl, '/sse', t.admin.token);
    try {
      await until(() => finished.includes('/sse'), 'the response to finish in Node');
      expect(client.ended).toBe(false);
      // Node's keep-alive timer, were it still armed, fires after the timeout plus one second.
      await sleep(1300);
      tag('after-keep-alive');
      await client.waitUntil((c) =>
        c.frames.some((frame) => frame.data?.includes('after-keep-alive') === true),
      );
      expect(client.closed).toBe(false);
    } finally {
      client.close();
      server.keepAliveTimeout = keepAliveTimeout;
      diagnostics.unsubscribe('http.server.response.finish', onFinish);
    }
  });

  /** An open stream of a user of its own, ended by deleting that user. */
  async function userStream(version?: string, extra?: string) {
    const user = await t.createUser('admin');
    const exchange = await rawExchange(t.baseUrl, streamRequest(user.token, version, extra));
    await until(() => exchange.received.includes('retry:'), 'the stream to open');
    const end = async () => {
      await t.as(t.admin).delete(`/users/${user.id}`).expect(204);
      await until(() => exchange.ended, 'the connection to end');
    };
    return { exchange, end };
  }

  it('ends a chunked stream with its last chunk, then closes the connection', async () => {
    const { exchange, end } = await userStream();
    await end();
    expect(exchange.received).toMatch(/\r\nTransfer-Encoding: chunked\r\n/);
    expect(exchange.received.endsWith('\r\n0\r\n\r\n')).toBe(true);
  });

  it.each([
    ['an HTTP/1.0 client', '1.0', '', false],
    ['an HTTP/1.1 client that asks to close', '1.1', 'Connection: close\r\n', true],
  ])(
    'serves %s, which Node does not keep alive, and ends its stream',
    async (_name, version, extra, chunked) => {
      const { exchange, end } = await userStream(version, extra);
      tag(`over-http-${version}`);
      await until(() => exchange.received.includes(`over-http-${version}`), 'the event');
      await end();
      const [head, body] = exchange.received.split('\r\n\r\n', 2);
      expect(head).toMatch(/\r\nConnection: close(\r\n|$)/);
      expect(/\r\nTransfer-Encoding: chunked/.test(head)).toBe(chunked);
      if (chunked) expect(exchange.received.endsWith('\r\n0\r\n\r\n')).toBe(true);
      else expect(body.startsWith('retry: 3000\n\nevent: tags\n')).toBe(true);
    },
  );

  it.each([
    ['a stream', () => streamRequest(t.admin.token)],
    ['a REST request', () => 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])(
    'keeps %s pipelined behind a stream waiting, unanswered, while the stream goes on',
    async (_name, behind) => {
      const exchange = await rawExchange(t.baseUrl, streamRequest(t.admin.token) + behind());
      await until(() => exchange.received.includes('retry:'), 'the stream to open');
      tag('ahead-of-pipelined');
      await until(() => exchange.received.includes('ahead-of-pipelined'), 'the event');
      await t.http().get('/health').expect(200);
      expect(exchange.received.match(/HTTP\/1\.1 /g)).toEqual(['HTTP/1.1 ']);
      expect(exchange.closed).toBe(false);
      exchange.socket.destroy();
    },
  );

  it('closes a connection that sends another request once its stream is open, unanswered', async () => {
    const exchange = await rawExchange(t.baseUrl, streamRequest(t.admin.token));
    await until(() => exchange.received.includes('retry:'), 'the stream to open');
    exchange.socket.write(
      `DELETE /libraries/${library} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.admin.token}\r\n\r\n`,
    );
    await until(() => exchange.closed, 'the connection to close');
    expect(exchange.received.match(/HTTP\/1\.1 /g)).toEqual(['HTTP/1.1 ']);
    await t.as(t.admin).get(`/libraries/${library}`).expect(200);
  });
});
