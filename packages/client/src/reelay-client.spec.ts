import { ReelayClient, subjectOf } from './reelay-client.js';
import type { StreamListener, StreamRequest, StreamTransport } from './transport.js';

/** A transport driven by the test: it records each attempt and hands back its listener. */
class ScriptedTransport implements StreamTransport {
  readonly name = 'scripted';
  readonly attempts: { request: StreamRequest; listener: StreamListener; closed: boolean }[] = [];

  open(request: StreamRequest, listener: StreamListener) {
    const attempt = { request, listener, closed: false };
    this.attempts.push(attempt);
    return { close: () => void (attempt.closed = true) };
  }

  get last() {
    const attempt = this.attempts.at(-1);
    if (!attempt) throw new Error('no attempt yet');
    return attempt;
  }
}

const tags = (name: string) => ({ Tags: { library: 'l', tags: [] as never[], name } });

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    // oxlint-disable-next-line no-await-in-loop -- polling, one wait after another
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(condition()).toBe(true);
}

describe('ReelayClient', () => {
  let transport: ScriptedTransport;
  let client: ReelayClient;

  beforeEach(() => {
    transport = new ScriptedTransport();
    client = new ReelayClient({
      url: 'http://reelay.test',
      transport,
      backoff: { initialDelayMs: 1, maxDelayMs: 2 },
    });
  });
  afterEach(() => client.close());

  it('resumes every reconnection from the last id it delivered', async () => {
    client.start();
    await until(() => transport.attempts.length === 1);
    expect(transport.last.request.lastEventId).toBeUndefined();
    transport.last.listener.open();
    transport.last.listener.event('tags', tags('a'), 41);
    transport.last.listener.event('tags', tags('b'), 42);
    transport.last.listener.end({ kind: 'failed', error: new Error('reset') });
    await until(() => transport.attempts.length === 2);
    expect(transport.last.request.lastEventId).toBe(42);
    expect(client.state).toBe('reconnecting');
  });

  it('tells the app to reload when a stream opens again before any event gave it a resume point', async () => {
    const reasons: string[] = [];
    client.onResync((reason) => reasons.push(reason));
    client.start();
    await until(() => transport.attempts.length === 1);
    transport.last.listener.open();
    transport.last.listener.end({ kind: 'failed', error: new Error('reset') });
    await until(() => transport.attempts.length === 2);
    transport.last.listener.open();
    expect(reasons).toEqual(['reconnected before any event id']);
    transport.last.listener.event('tags', tags('a'), 7);
    transport.last.listener.end({ kind: 'failed', error: new Error('reset') });
    await until(() => transport.attempts.length === 3);
    transport.last.listener.open();
    expect(reasons).toHaveLength(1);
  });

  it('drops an id it has delivered already, and counts lagged and resync', async () => {
    const ids: (number | undefined)[] = [];
    client.on('tags', (_data, id) => ids.push(id));
    client.start();
    await until(() => transport.attempts.length === 1);
    const { listener } = transport.last;
    listener.event('tags', tags('a'), 5);
    listener.event('tags', tags('a'), 5);
    listener.event('tags', tags('old'), 4);
    listener.event('lagged', { Lagged: { skipped: 3 } }, undefined);
    listener.event('resync', { Resync: { reason: 'gone' } }, undefined);
    listener.event('tags', tags('b'), 9);
    expect(ids).toEqual([5, 9]);
    expect(client.status).toMatchObject({ lastEventId: 9, skipped: 3, resyncs: 1 });
  });

  it('keeps delivering to the other handlers when one throws', async () => {
    const reported: unknown[] = [];
    const original = (globalThis as { reportError?: unknown }).reportError;
    Object.assign(globalThis, { reportError: (error: unknown) => reported.push(error) });
    try {
      const seen: number[] = [];
      client.on('tags', () => {
        throw new Error('app bug');
      });
      client.on('tags', (_data, id) => seen.push(id!));
      client.start();
      await until(() => transport.attempts.length === 1);
      transport.last.listener.event('tags', tags('a'), 1);
      transport.last.listener.event('tags', tags('b'), 2);
      expect(seen).toEqual([1, 2]);
      expect(reported).toHaveLength(2);
    } finally {
      Object.assign(globalThis, { reportError: original });
    }
  });

  it('opens no stream for an attempt begun before close, even when started again (React StrictMode)', async () => {
    let release!: (token: string) => void;
    const slowToken = new Promise<string>((resolve) => (release = resolve));
    client = new ReelayClient({ url: 'http://reelay.test', transport, token: () => slowToken });
    client.start();
    client.close();
    client.start();
    release('token');
    await until(() => transport.attempts.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(transport.attempts).toHaveLength(1);
  });

  it('asks for a new token once after a 401, then stops as closed on a second one', async () => {
    let asked = 0;
    client = new ReelayClient({
      url: 'http://reelay.test',
      transport,
      token: () => `token-${++asked}`,
    });
    client.start();
    await until(() => transport.attempts.length === 1);
    transport.last.listener.end({ kind: 'refused', status: 401, message: 'expired' });
    await until(() => transport.attempts.length === 2);
    expect(transport.last.request.token).toBe('token-2');
    transport.last.listener.end({ kind: 'refused', status: 401, message: 'invalid' });
    await until(() => client.state === 'closed');
    expect(client.status.error).toBe('invalid');
    expect(transport.attempts).toHaveLength(2);
  });
});

/** A JWT with this payload (unsigned: subjectOf does not verify). */
function token(payload: object): string {
  return `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.signature`;
}

describe('subjectOf', () => {
  it("reads a JWT's subject, so that tabs of different users never share a stream", () => {
    expect(subjectOf(token({ sub: 'ü-user-1', sid: 's' }))).toBe('user:ü-user-1');
    expect(subjectOf(token({ sub: 'user-2' }))).not.toBe(subjectOf(token({ sub: 'user-1' })));
    expect(subjectOf(token({}))).toBeUndefined();
    expect(subjectOf('not-a-jwt')).toBeUndefined();
    expect(subjectOf('a.%%%.b')).toBeUndefined();
  });
});
