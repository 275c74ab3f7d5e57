import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';
import {
  type ConnectionState,
  ReelayClient,
  type ReelayClientOptions,
  ReelaySession,
  socketIoTransport,
  sseTransport,
  type StreamTransport,
} from '../packages/client/src/index.js';
import { TokenService } from '../src/auth/token.service.js';
import { EventHub } from '../src/events/event-hub.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { passes } from './support/eventually.js';
import { ADMIN, createTestApp, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a client saw: every event's name and id, and its states in order. */
class Watch {
  readonly ids: number[] = [];
  readonly tags: string[] = [];
  readonly states: ConnectionState[];
  readonly errors: string[] = [];

  constructor(readonly client: ReelayClient) {
    this.states = [client.state];
    client.on('tags', (data, id) => {
      if (id !== undefined) this.ids.push(id);
      this.tags.push(...data.Tags.tags.map(({ tag }) => tag.name));
    });
    client.onStatus(({ state, error }) => {
      if (this.states.at(-1) !== state) this.states.push(state);
      if (error !== undefined) this.errors.push(error);
    });
  }

  opens(): number {
    return this.states.filter((state) => state === 'open').length;
  }
}

const TRANSPORTS: [string, () => StreamTransport][] = [
  ['SSE', () => sseTransport()],
  ['Socket.IO', () => socketIoTransport(io)],
];

describe.each(TRANSPORTS)('@reelay/client in Node over %s', (_name, transport) => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;
  const clients: ReelayClient[] = [];

  beforeAll(async () => {
    t = await createTestApp({ SSE_RETRY_MS: '300' });
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(() => t.close());

  function start(options: ReelayClientOptions): Watch {
    const client = new ReelayClient({ url: t.baseUrl, transport: transport(), ...options });
    clients.push(client);
    const watch = new Watch(client);
    client.start();
    return watch;
  }

  const tag = (name: string) =>
    publisher.tags(library, [{ action: 'Added', tag: { id: name, library, name } }]);

  /** A token of the admin that expires `seconds` from now (whole seconds, as JWTs count). */
  function tokenFor(seconds: number): string {
    return jwt.sign({ exp: Math.floor(Date.now() / 1000) + seconds }, t.app.get(TokenService).key, {
      algorithm: 'HS256',
      issuer: 'reelay',
      subject: t.admin.id,
    });
  }

  it('hands typed events with their ids to the handlers of their name', async () => {
    const watch = start({ token: t.admin.token });
    await passes(() => expect(watch.client.state).toBe('open'));
    tag('first');
    tag('second');
    await passes(() => expect(watch.tags).toEqual(['first', 'second']));
    expect(watch.ids[1]).toBe(watch.ids[0] + 1);
    expect(watch.client.lastEventId).toBe(watch.ids[1]);
    expect(watch.states).toEqual(['connecting', 'open']);
  });

  it('reconnects by itself when its stream ends, with a new token, and resumes with nothing missed or repeated', async () => {
    // Each token lives one or two seconds: the server ends the stream at its expiry, the client
    // asks the token function again and resumes from the last id it saw.
    const watch = start({ token: () => tokenFor(2), backoff: { initialDelayMs: 50 } });
    await passes(() => expect(watch.client.state).toBe('open'));
    const published: string[] = [];
    const until = Date.now() + 5000;
    for (let n = 0; Date.now() < until; n++) {
      tag(`tick-${n}`);
      published.push(`tick-${n}`);
      // One event every 50 ms, to land in the gaps between streams too.
      // oxlint-disable-next-line no-await-in-loop
      await sleep(50);
    }
    await passes(() => expect(watch.tags).toEqual(published), 5000);
    expect(watch.opens()).toBeGreaterThanOrEqual(2);
    expect(watch.states).toContain('reconnecting');
    for (let i = 1; i < watch.ids.length; i++) expect(watch.ids[i]).toBe(watch.ids[i - 1] + 1);
  });

  it('starts from a given id, and surfaces resync for one the server cannot replay', async () => {
    tag('before');
    const reasons: string[] = [];
    const watch = start({ token: t.admin.token, lastEventId: 1_000_000_000 });
    watch.client.onResync((reason) => reasons.push(reason));
    await passes(() => expect(reasons).toHaveLength(1));
    expect(watch.client.status.resyncs).toBe(1);
    expect(reasons[0]).toEqual(expect.any(String));
  });

  it('stops as closed, saying why, when the server refuses its credentials and it has no way to renew them', async () => {
    const watch = start({ token: 'not-a-token' });
    await passes(() => expect(watch.client.state).toBe('closed'));
    expect(watch.errors.at(-1)).toMatch(/invalid/i);
    expect(watch.opens()).toBe(0);
  });

  it('stops as closed on a refusal that would come again (a malformed libraries filter)', async () => {
    const watch = start({ token: t.admin.token, libraries: ['x'.repeat(10_000)] });
    await passes(() => expect(watch.client.state).toBe('closed'));
    expect(watch.errors.at(-1)).toMatch(/longer than/);
    expect(watch.opens()).toBe(0);
  });
});

describe('@reelay/client in Node over SSE: what the server asks of it', () => {
  const MAX_EVENTS = 16;
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;
  let client: ReelayClient | undefined;

  beforeAll(async () => {
    t = await createTestApp({
      SSE_RETRY_MS: '1500',
      // Events queued are then events the client has not taken, not events waiting for the window.
      SSE_FLUSH_WINDOW_MS: '0',
      SSE_MAX_QUEUE_EVENTS: String(MAX_EVENTS),
      SSE_MAX_QUEUE_BYTES: String(512 * 1024),
    });
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary();
  });
  afterEach(() => client?.close());
  afterAll(() => t.close());

  it("waits the server's retry: before reconnecting, however short its own first delay", async () => {
    const key = t.app.get(TokenService).key;
    const token = () =>
      jwt.sign({ exp: Math.floor(Date.now() / 1000) + 2 }, key, {
        algorithm: 'HS256',
        issuer: 'reelay',
        subject: t.admin.id,
      });
    client = new ReelayClient({ url: t.baseUrl, token, backoff: { initialDelayMs: 10 } });
    const changes: { state: ConnectionState; at: number }[] = [];
    client.onStatus(({ state }) => changes.push({ state, at: Date.now() }));
    client.start();
    await passes(() => expect(changes.filter(({ state }) => state === 'open')).toHaveLength(2));
    const lost = changes.findIndex(({ state }) => state === 'reconnecting');
    const back = changes.findIndex(({ state }, index) => index > lost && state === 'open');
    // Equal jitter: between half and all of the 1.5 s the server asked for.
    expect(changes[back].at - changes[lost].at).toBeGreaterThanOrEqual(700);
  });

  it('surfaces lagged with the count the server skipped, then goes on with the newest events', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // A reader that stops reading: the kernel's buffers fill, then the server's queue overflows.
    const stalledFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const reader = response.body!.getReader();
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            await gate;
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          },
          cancel: (reason) => reader.cancel(reason),
        },
        { highWaterMark: 0 },
      );
      return new Response(body, { status: response.status, headers: response.headers });
    };
    client = new ReelayClient({
      url: t.baseUrl,
      token: t.admin.token,
      transport: sseTransport({ fetch: stalledFetch }),
    });
    const skippedCounts: number[] = [];
    const ids: number[] = [];
    client.onLagged((skipped) => skippedCounts.push(skipped));
    client.on('tags', (_data, id) => ids.push(id!));
    client.start();
    await passes(() => expect(client!.state).toBe('open'));

    const name = 'n'.repeat(16 * 1024);
    let batchesSinceBackedUp = -1;
    for (let published = 0; batchesSinceBackedUp < 4 && published < 8000;) {
      for (let index = 0; index < MAX_EVENTS / 2; index++) {
        publisher.tags(library, [
          { action: 'Added', tag: { id: `${published++}`, library, name } },
        ]);
      }
      // oxlint-disable-next-line no-await-in-loop -- the server's queue after each batch
      const stats = await t.as(t.admin).get('/events/stats').expect(200);
      const { queuedEvents } = (stats.body as { sse: { queuedEvents: number } }).sse;
      if (queuedEvents > 0 || batchesSinceBackedUp >= 0) batchesSinceBackedUp++;
    }
    expect(batchesSinceBackedUp).toBe(4);
    const hub = t.app.get(EventHub);
    release();

    await passes(() => expect(client!.lastEventId).toBe(hub.lastEventId), 15_000);
    expect(skippedCounts.length).toBeGreaterThan(0);
    expect(client.status.skipped).toBe(skippedCounts.reduce((sum, count) => sum + count, 0));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    expect(ids.length + client.status.skipped).toBe(ids.at(-1)! - ids[0] + 1);
  });
});

describe('@reelay/client in Node with a ReelaySession', () => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;

  beforeAll(async () => {
    t = await createTestApp({ JWT_TTL: '2', SSE_RETRY_MS: '200' });
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary();
  });
  afterAll(() => t.close());

  it('refreshes with the refresh cookie it keeps itself, streams on with nothing missed, and stops when logged out', async () => {
    const session = new ReelaySession({ url: t.baseUrl });
    await expect(session.login(ADMIN.username, 'wrong-password')).rejects.toMatchObject({
      status: 401,
    });
    await session.login(ADMIN.username, ADMIN.password);
    const client = new ReelayClient({ session });
    const watch = new Watch(client);
    const expiries = new Set<number>();
    client.onStatus(() => expiries.add(session.expiresAt ?? 0));
    client.start();
    try {
      await passes(() => expect(client.state).toBe('open'));
      const published: string[] = [];
      const until = Date.now() + 5000;
      for (let n = 0; Date.now() < until; n++) {
        publisher.tags(library, [{ action: 'Added', tag: { id: `${n}`, library, name: `${n}` } }]);
        published.push(`${n}`);
        // oxlint-disable-next-line no-await-in-loop -- events spread over time
        await sleep(100);
      }
      await passes(() => expect(watch.tags).toEqual(published), 5000);
      expect(watch.opens()).toBeGreaterThanOrEqual(2);
      expect(expiries.size).toBeGreaterThanOrEqual(2);

      await session.logout();
      expect(session.signedIn).toBe(false);
      await passes(() => expect(client.state).toBe('closed'), 5000);
    } finally {
      client.close();
      session.close();
    }
  });

  it('tries its refresh again, later, when the server cannot be reached, instead of failing unheard', async () => {
    let reachable = true;
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    const session = new ReelaySession({
      url: t.baseUrl,
      fetch: (input, init) =>
        reachable ? fetch(input, init) : Promise.reject(new TypeError('fetch failed')),
    });
    try {
      await session.login(ADMIN.username, ADMIN.password);
      const first = session.expiresAt;
      reachable = false;
      // The refresh is due 1.6 s into the token's 2 s; it fails, and is tried again after 1-2 s.
      await sleep(2500);
      expect(session.expiresAt).toBe(first);
      reachable = true;
      await passes(() => expect(session.expiresAt).toBeGreaterThan(first!), 5000);
      expect(session.signedIn).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
      session.close();
    }
  });

  it('keeps trying while its session cannot be refreshed for now, then resumes with what it missed', async () => {
    let reachable = true;
    const session = new ReelaySession({
      url: t.baseUrl,
      fetch: (input, init) =>
        reachable ? fetch(input, init) : Promise.reject(new TypeError('fetch failed')),
    });
    await session.login(ADMIN.username, ADMIN.password);
    const client = new ReelayClient({ session, backoff: { initialDelayMs: 50, maxDelayMs: 300 } });
    const watch = new Watch(client);
    client.start();
    try {
      await passes(() => expect(client.state).toBe('open'));
      publisher.tags(library, [{ action: 'Added', tag: { id: 'seen', library, name: 'seen' } }]);
      await passes(() => expect(watch.tags).toEqual(['seen']));
      reachable = false;
      // The token expires within 2 s: the server ends the stream, and no refresh gets through.
      await passes(() => expect(watch.errors).toContain('fetch failed'), 5000);
      expect(client.state).toBe('reconnecting');
      publisher.tags(library, [{ action: 'Added', tag: { id: 'away', library, name: 'away' } }]);
      reachable = true;
      await passes(() => expect(watch.tags).toEqual(['seen', 'away']), 5000);
      expect(client.state).toBe('open');
      expect(client.status.resyncs).toBe(0);
    } finally {
      client.close();
      session.close();
    }
  });
});
