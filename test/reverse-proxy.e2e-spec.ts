import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Http2Client, type Http2EventStream } from './support/http2-client.js';
import { NginxProxy } from './support/nginx-proxy.js';
import { REPO } from './support/server-process.js';
import { RecordingSocket } from './support/socketio-client.js';
import { ADMIN, createTestApp, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const KEEPALIVE_MS = 300;
/** An address may fail this many logins before it waits (src/auth/auth.service.ts, BY_ADDRESS). */
const FREE_FAILURES_PER_ADDRESS = 20;

/** What Reelay received: nginx's requests, as Node's HTTP server saw them. */
interface Received {
  url: string;
  httpVersion: string;
  headers: IncomingMessage['headers'];
}

/**
 * A login straight to Reelay over HTTP/1.1, not through nginx, from `localAddress` (any address
 * of 127.0.0.0/8 is this machine's loopback on Linux).
 */
function directLogin(
  baseUrl: string,
  localAddress: string,
  body: { username: string; password: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; setCookie: string[] }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${baseUrl}/auth/login`,
      {
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            setCookie: response.headers['set-cookie'] ?? [],
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** How many of each status. */
function statusCounts(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('behind nginx (docs/deploy/nginx.conf): TLS and HTTP/2 to the client, HTTP/1.1 to Reelay', () => {
  let t: TestApp;
  let proxy: NginxProxy;
  const received: Received[] = [];
  const record = ({ url = '', httpVersion, headers }: IncomingMessage) =>
    received.push({ url, httpVersion, headers });
  const opened: { close(): unknown }[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      // nginx reaches Reelay from 127.0.0.1; the test's clients come from other loopback addresses.
      TRUSTED_PROXIES: '127.0.0.1',
      SSE_KEEPALIVE_MS: String(KEEPALIVE_MS),
    });
    // A WebSocket handshake comes as an upgrade, every other request as a request.
    t.app.getHttpServer().on('request', record).on('upgrade', record);
    proxy = await NginxProxy.start(new URL(t.baseUrl).host);
  }, 30_000);

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await proxy?.stop();
    await t?.close();
  });

  /** An HTTP/2 connection to nginx, from `localAddress` when given; closed after the test. */
  async function h2(localAddress?: string): Promise<Http2Client> {
    const client = await Http2Client.connect(proxy.url, proxy.certificate, localAddress);
    opened.push(client);
    return client;
  }

  async function adminStream(client: Http2Client): Promise<Http2EventStream> {
    const stream = await client.eventStream('/sse', {
      authorization: `Bearer ${t.admin.token}`,
      // As a browser asks: nginx compresses only for a client that takes it (NginxProxy's gzip).
      'accept-encoding': 'gzip, deflate, br',
    });
    opened.push(stream);
    expect(stream.headers[':status']).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    // The retry: frame Reelay writes first: the stream is open end to end.
    await stream.frame((frame) => frame.text.startsWith('retry:'));
    return stream;
  }

  it('speaks HTTP/2 to the client and HTTP/1.1 to Reelay, with the forwarding headers', async () => {
    const client = await h2('127.0.0.2');
    expect(client.protocol).toBe('h2');
    const health = await client.request('GET', '/health');
    expect(health.status).toBe(200);
    await adminStream(client);

    const sse = received.find((request) => request.url === '/sse');
    expect(sse).toMatchObject({
      httpVersion: '1.1',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.2' },
    });
  });

  it('delivers each event through nginx within 100 ms of the response to its publish', async () => {
    const client = await h2();
    const stream = await adminStream(client);
    const lateness: number[] = [];
    for (let index = 0; index < 5; index++) {
      const from = stream.frames.length;
      // oxlint-disable-next-line no-await-in-loop -- one publish at a time, spaced out
      const created = await client.json(
        'POST',
        '/libraries',
        { name: `Proxied ${index}`, type: 'photos' },
        { authorization: `Bearer ${t.admin.token}` },
      );
      const answeredAt = performance.now();
      expect(created.status).toBe(201);
      const { id } = JSON.parse(created.body) as { id: string };
      // oxlint-disable-next-line no-await-in-loop -- waits for this publish's event
      const event = await stream.frame(
        (frame) => frame.text.includes('event: library') && frame.text.includes(id),
        from,
      );
      lateness.push(event.at - answeredAt);
      // oxlint-disable-next-line no-await-in-loop -- events apart, so that none rides on another
      await sleep(200);
    }
    // An event held in a proxy buffer would come with a later one, or never.
    expect(lateness.filter((ms) => ms >= 100)).toEqual([]);
  });

  it('passes the :ping keepalive on as it is written', async () => {
    const stream = await adminStream(await h2());
    const from = stream.frames.length;
    const first = await stream.frame((frame) => frame.text === ':ping', from);
    const second = await stream.frame(
      (frame) => frame.text === ':ping' && frame.at > first.at,
      from,
    );
    // Each after KEEPALIVE_MS of silence: a buffered ping would come late, with the next one.
    expect(second.at - first.at).toBeGreaterThanOrEqual(KEEPALIVE_MS - 50);
    expect(second.at - first.at).toBeLessThan(KEEPALIVE_MS + 500);
    expect(stream.closed).toBe(false);
  });

  it.each([['websocket'], ['polling']])(
    'carries the Socket.IO channel (%s, over HTTP/1.1)',
    async (transport) => {
      const socket = await RecordingSocket.open(proxy.url, {
        query: { token: t.admin.token },
        transports: [transport],
        ca: proxy.certificate,
      });
      opened.push(socket);
      const created = await t
        .as(t.admin)
        .post('/libraries')
        .send({ name: `Socket ${transport}`, type: 'photos' })
        .expect(201);
      const { id } = created.body as { id: string };
      const events = await socket.waitUntil((all) =>
        all.some((event) => event.type === 'library' && JSON.stringify(event.data).includes(id)),
      );
      expect(events.some((event) => event.type === 'library')).toBe(true);
      expect(
        received.some(
          (request) =>
            request.url.startsWith('/socket.io/') &&
            request.url.includes(`transport=${transport}`) &&
            request.headers['x-forwarded-proto'] === 'https',
        ),
      ).toBe(true);
    },
  );

  it('passes a large upload on to Reelay as it arrives, over HTTP/2', async () => {
    const client = await h2();
    const stream = await adminStream(client);
    const library = await t.createLibrary({ name: 'Uploads' });
    // Larger than nginx's default client_max_body_size (1 MiB).
    const content = randomBytes(3 * 1024 * 1024);
    const half = content.length / 2;
    const boundary = `----reelay-proxy-${randomBytes(8).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="size"\r\n\r\n${content.length}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n` +
        'Content-Type: image/jpeg\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const upload = client.open('POST', `/libraries/${library}/upload`, {
      authorization: `Bearer ${t.admin.token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + content.length + tail.length,
    });
    const from = stream.frames.length;
    upload.stream.write(Buffer.concat([head, content.subarray(0, half)]));
    // Reelay tells the progress of the first half while the second is not sent yet: nginx did
    // not hold the body back until it had all of it.
    const progress = await stream.frame(
      (frame) =>
        frame.text.includes('event: upload_progress') &&
        /"receivedBytes":[1-9]/.test(frame.text) &&
        frame.text.includes('"status":"uploading"'),
      from,
    );
    expect(progress.text).toContain(library);
    upload.stream.end(Buffer.concat([content.subarray(half), tail]));
    const uploaded = await upload.response;
    expect(uploaded.status).toBe(201);
    expect(JSON.parse(uploaded.body)).toMatchObject({ library, size: content.length });
  });

  it("throttles failed logins by the client's own address, whatever X-Forwarded-For it sends", async () => {
    const attacker = await h2('127.0.0.2');
    const attempts = FREE_FAILURES_PER_ADDRESS + 2;
    // At once: each attempt counts before its password is checked, so the count is exact.
    const statuses = await Promise.all(
      Array.from({ length: attempts }, async (_, index) => {
        const response = await attacker.json(
          'POST',
          '/auth/login',
          { username: `nobody-${index}`, password: 'guess' },
          { 'x-forwarded-for': `203.0.113.${index}` },
        );
        return response.status;
      }),
    );
    expect(statusCounts(statuses)).toEqual({ 401: FREE_FAILURES_PER_ADDRESS, 429: 2 });

    // Another client behind the same proxy is someone else.
    const neighbour = await h2('127.0.0.3');
    const admitted = await neighbour.json('POST', '/auth/login', ADMIN);
    expect(admitted.status).toBe(200);
    expect(
      (await neighbour.json('POST', '/auth/login', { ...ADMIN, password: 'nope' })).status,
    ).toBe(401);
  });

  it('believes X-Forwarded-For and X-Forwarded-Proto only from TRUSTED_PROXIES', async () => {
    // Straight to Reelay from an address that is not a trusted proxy: the headers count for nothing.
    const statuses = await Promise.all(
      Array.from({ length: FREE_FAILURES_PER_ADDRESS + 2 }, async (_, index) => {
        const response = await directLogin(
          t.baseUrl,
          '127.0.0.4',
          { username: `nobody-${index}`, password: 'guess' },
          { 'x-forwarded-for': `198.51.100.${index}` },
        );
        return response.status;
      }),
    );
    expect(statusCounts(statuses)).toEqual({ 401: FREE_FAILURES_PER_ADDRESS, 429: 2 });

    const direct = await directLogin(t.baseUrl, '127.0.0.5', ADMIN, {
      'x-forwarded-proto': 'https',
    });
    expect(direct.status).toBe(200);
    expect(direct.setCookie.length).toBeGreaterThan(0);
    expect(direct.setCookie.filter((cookie) => /;\s*secure/i.test(cookie))).toEqual([]);

    // Through nginx, which terminates TLS, the cookies are Secure.
    const proxied = await (await h2('127.0.0.5')).json('POST', '/auth/login', ADMIN);
    expect(proxied.status).toBe(200);
    const cookies = proxied.headers['set-cookie'] ?? [];
    expect(cookies.length).toBeGreaterThan(0);
    expect(cookies.filter((cookie) => !/;\s*secure/i.test(cookie))).toEqual([]);
  });

  it('is the configuration docs/deploy.md shows, as are the other files of docs/deploy/', () => {
    const page = readFileSync(join(REPO, 'docs', 'deploy.md'), 'utf8');
    const shown = [...page.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((block) => block[1]);
    const files = readdirSync(join(REPO, 'docs', 'deploy'));
    expect(files).toContain('nginx.conf');
    for (const file of files) {
      expect(shown).toContain(readFileSync(join(REPO, 'docs', 'deploy', file), 'utf8'));
    }
  });
});
