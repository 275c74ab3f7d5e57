import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createTestApp, type TestApp } from './support/test-app.js';

const LISTED = 'http://photos.test:8080';
const OTHER = 'http://elsewhere.test';

interface Head {
  status: number;
  headers: IncomingHttpHeaders;
}

/** Sends a request and keeps the status line and headers; the body is not waited for (streams). */
function head(
  baseUrl: string,
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Head> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, init, (response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
      response.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

function corsHeadersOf(headers: IncomingHttpHeaders): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.startsWith('access-control-')),
  );
}

describe('CORS, with CORS_ORIGINS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: `${LISTED}, http://second.test` });
  });
  afterAll(() => t.close());

  it('lets a listed origin read API answers, credentials included', async () => {
    const { status, headers } = await head(t.baseUrl, '/health', { headers: { Origin: LISTED } });
    expect(status).toBe(200);
    expect(headers['access-control-allow-origin']).toBe(LISTED);
    expect(headers['access-control-allow-credentials']).toBe('true');
    expect(headers.vary).toMatch(/Origin/);
  });

  it('gives any other origin no CORS header at all', async () => {
    const { status, headers } = await head(t.baseUrl, '/health', { headers: { Origin: OTHER } });
    expect(status).toBe(200);
    expect(corsHeadersOf(headers)).toEqual({});
  });

  it("answers a listed origin's preflight for an authenticated JSON call", async () => {
    const { status, headers } = await head(t.baseUrl, '/libraries', {
      method: 'OPTIONS',
      headers: {
        Origin: LISTED,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(status).toBe(204);
    expect(headers['access-control-allow-origin']).toBe(LISTED);
    expect(headers['access-control-allow-credentials']).toBe('true');
    expect(headers['access-control-allow-methods']).toMatch(/POST/);
    expect(headers['access-control-allow-headers']).toMatch(/authorization/i);
    expect(headers['access-control-max-age']).toBe('600');
  });

  it("gives another origin's preflight no CORS header", async () => {
    const { headers } = await head(t.baseUrl, '/libraries', {
      method: 'OPTIONS',
      headers: { Origin: OTHER, 'Access-Control-Request-Method': 'POST' },
    });
    expect(corsHeadersOf(headers)).toEqual({});
  });

  it('opens /sse for a listed origin with the token cookie, readable by its page', async () => {
    const { status, headers } = await head(t.baseUrl, '/sse', {
      headers: { Origin: LISTED, Cookie: `token=${t.admin.token}` },
    });
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('text/event-stream');
    expect(headers['access-control-allow-origin']).toBe(LISTED);
    expect(headers['access-control-allow-credentials']).toBe('true');
  });

  it('leaves a stream opened from another origin unreadable by its page', async () => {
    const { headers } = await head(t.baseUrl, '/sse', {
      headers: { Origin: OTHER, Cookie: `token=${t.admin.token}` },
    });
    expect(corsHeadersOf(headers)).toEqual({});
  });

  it('applies the same list to the Socket.IO handshake', async () => {
    const path = '/socket.io/?EIO=4&transport=polling';
    const cookie = `token=${t.admin.token}`;
    const listed = await head(t.baseUrl, path, { headers: { Origin: LISTED, Cookie: cookie } });
    expect(listed.status).toBe(200);
    expect(listed.headers['access-control-allow-origin']).toBe(LISTED);
    expect(listed.headers['access-control-allow-credentials']).toBe('true');
    const other = await head(t.baseUrl, path, { headers: { Origin: OTHER, Cookie: cookie } });
    expect(corsHeadersOf(other.headers)).toEqual({});
  });
});

describe('CORS, without CORS_ORIGINS (the default)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('adds no CORS header, whatever the origin', async () => {
    const api = await head(t.baseUrl, '/health', { headers: { Origin: LISTED } });
    expect(corsHeadersOf(api.headers)).toEqual({});
    const socket = await head(t.baseUrl, '/socket.io/?EIO=4&transport=polling', {
      headers: { Origin: LISTED, Cookie: `token=${t.admin.token}` },
    });
    expect(socket.status).toBe(200);
    expect(corsHeadersOf(socket.headers)).toEqual({});
  });
});
