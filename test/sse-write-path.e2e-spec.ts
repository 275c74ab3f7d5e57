import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { RecordingEventSource } from './support/sse-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { rawExchange, streamRequest, until } from './support/raw-exchange.js';

/**
 * The stream's write path on the running Node, both ways it can go: handed over from Node's
 * HTTP server (`auto`, where the start-up check allows it) and kept as Node's response (`off`).
 * `.ci/run` runs this on every supported Node line.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Body {
  head: string;
  /** The body's bytes once unframed. */
  data: string;
  /** Whether a chunked body ended with its last chunk. */
  lastChunk: boolean;
}

/** Splits a response into head and body, and decodes a chunked body, refusing any bad framing. */
function parseResponse(received: string): Body {
  const headEnd = received.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error('no complete head');
  const head = received.slice(0, headEnd);
  const body = received.slice(headEnd + 4);
  if (!/\r\ntransfer-encoding: chunked(\r\n|$)/i.test(head)) {
    return { head, data: body, lastChunk: false };
  }
  let data = '';
  let at = 0;
  while (at < body.length) {
    const sizeEnd = body.indexOf('\r\n', at);
    if (sizeEnd < 0) throw new Error(`a chunk size cut off at byte ${at}`);
    const sizeText = body.slice(at, sizeEnd);
    if (!/^[0-9a-f]+$/i.test(sizeText)) throw new Error(`a bad chunk size "${sizeText}"`);
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) {
      if (body.slice(sizeEnd) !== '\r\n\r\n') throw new Error('bytes after the last chunk');
      return { head, data, lastChunk: true };
    }
    const end = sizeEnd + 2 + size;
    if (body.length < end + 2) throw new Error(`a chunk cut off at byte ${at}`);
    if (body.slice(end, end + 2) !== '\r\n') throw new Error(`a chunk of the wrong size at ${at}`);
    data += body.slice(sizeEnd + 2, end);
    at = end + 2;
  }
  return { head, data, lastChunk: false };
}

/** The blocks of an event stream, each whole: a stream cut in the middle of a frame fails. */
function framesOf(data: string): string[] {
  if (!data.endsWith('\n\n'))
    throw new Error(`a frame cut off: ${JSON.stringify(data.slice(-80))}`);
  return data.slice(0, -2).split('\n\n');
}

const tagNames = (frames: string[]) =>
  frames
    .filter((frame) => frame.startsWith('event: tags\n'))
    .map((frame) => {
      const data = /\ndata: (.*)$/.exec(frame)?.[1] ?? 'null';
      return (JSON.parse(data) as { Tags: { tags: { tag: { name: string } }[] } }).Tags.tags[0].tag
        .name;
    });

describe.each(['auto', 'off'])(`GET /sse on Node ${process.version}, SSE_HANDOVER=%s`, (mode) => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;

  beforeAll(async () => {
    t = await createTestApp({ SSE_HANDOVER: mode });
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary();
  });
  afterAll(() => t.close());

  const tag = (name: string) =>
    publisher.tags(library, [{ action: 'Added', tag: { id: name, library, name } }]);

  it.each([
    ['a keep-alive HTTP/1.1 client, as every browser', '1.1', 'Connection: keep-alive\r\n'],
    ['an HTTP/1.1 client that asks to close', '1.1', 'Connection: close\r\n'],
    ['an HTTP/1.0 client', '1.0', ''],
  ])('delivers live frames to %s, byte for byte', async (_name, version, connection) => {
    const exchange = await rawExchange(
      t.baseUrl,
      streamRequest(t.admin.token, version, connection),
    );
    await until(() => exchange.received.includes('retry:'), 'the stream to open');
    tag(`first-${version}`);
    tag(`second-${version}`);
    await until(() => exchange.received.includes(`second-${version}`), 'the events');
    await sleep(20);
    const { head, data } = parseResponse(exchange.received);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/\r\nContent-Type: text\/event-stream\r\n/);
    expect(/\r\nTransfer-Encoding: chunked/.test(head)).toBe(version === '1.1');
    const frames = framesOf(data);
    expect(frames[0]).toBe('retry: 3000');
    expect(tagNames(frames)).toEqual([`first-${version}`, `second-${version}`]);
    expect(exchange.ended).toBe(false);
    exchange.socket.destroy();
  });

  it(`${mode === 'auto' ? 'lets go of' : 'keeps'} Node's response for a kept-alive stream`, async () => {
    const finished: string[] = [];
    const onFinish = (message: unknown) => {
      finished.push((message as { request: IncomingMessage }).request.url ?? '');
    };
    diagnostics.subscribe('http.server.response.finish', onFinish);
    try {
      const exchange = await rawExchange(
        t.baseUrl,
        streamRequest(t.admin.token, '1.1', 'Connection: keep-alive\r\n'),
      );
      await until(() => exchange.received.includes('retry:'), 'the stream to open');
      await sleep(50);
      expect(finished.includes('/sse')).toBe(mode === 'auto');
      exchange.socket.destroy();
    } finally {
      diagnostics.unsubscribe('http.server.response.finish', onFinish);
    }
  });
});

describe.each(['auto', 'off'])(
  `Shutting down on Node ${process.version}, SSE_HANDOVER=%s`,
  (mode) => {
    /** Open streams of every kind, with events on them, then `shutDown`; checks how each ended. */
    async function streamsThrough(shutDown: (t: TestApp) => Promise<void>): Promise<TestApp> {
      const t = await createTestApp({ SSE_HANDOVER: mode, SSE_RETRY_MS: '100' });
      const publisher = t.app.get(EventsPublisher);
      const library = await t.createLibrary();
      const keptAlive = await rawExchange(
        t.baseUrl,
        streamRequest(t.admin.token, '1.1', 'Connection: keep-alive\r\n'),
      );
      const closing = await rawExchange(
        t.baseUrl,
        streamRequest(t.admin.token, '1.1', 'Connection: close\r\n'),
      );
      const browser = new RecordingEventSource(`${t.baseUrl}/sse?token=${t.admin.token}`, ['tags']);
      await browser.opened();
      await until(
        () => keptAlive.received.includes('retry:') && closing.received.includes('retry:'),
        'the streams to open',
      );
      // A large frame, so that an end in the middle of one would show.
      const name = `before-shutdown-${'x'.repeat(64 * 1024)}`;
      publisher.tags(library, [{ action: 'Added', tag: { id: 'big', library, name } }]);
      await browser.waitFor(1);
      const errors: string[] = [];
      browser.source.addEventListener('error', () => errors.push('reconnecting'));

      await shutDown(t);
      await until(() => keptAlive.ended && closing.ended, 'both raw streams to end');
      for (const exchange of [keptAlive, closing]) {
        const body = parseResponse(exchange.received);
        expect(body.lastChunk).toBe(true);
        expect(tagNames(framesOf(body.data))).toEqual([name]);
      }
      await until(() => errors.length > 0, 'the EventSource to see the end');
      // It reconnects (CONNECTING), rather than giving up (CLOSED).
      expect(browser.source.readyState).toBe(browser.source.CONNECTING);
      browser.close();
      return t;
    }

    it("ends every stream with its last chunk when a host closes the server (Node's server.close())", async () => {
      const t = await streamsThrough(async (app) => {
        app.app.getHttpServer().close();
      });
      await t.close();
    });

    it('ends every stream with its last chunk when the app shuts down', async () => {
      await streamsThrough((t) => t.close());
    });
  },
);
