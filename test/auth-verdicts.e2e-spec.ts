import * as fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { get } from 'node:http';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';

interface Verdict {
  status: number;
  message?: string;
}

/** What `GET /sse` answers a request with these headers: its status, and a refusal's message. */
function streamVerdict(t: TestApp, headers: Record<string, string>): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const request = get(`${t.baseUrl}/sse`, { headers }, (response) => {
      const status = response.statusCode ?? 0;
      if (status === 200) {
        request.destroy();
        resolve({ status });
        return;
      }
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve({ status, message: (JSON.parse(body) as { message: string }).message });
      });
    });
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
  });
}

/** What a REST route (`GET /auth/me`, through passport) answers the same headers. */
async function restVerdict(t: TestApp, headers: Record<string, string>): Promise<Verdict> {
  const response = await t.http().get('/auth/me').set(headers);
  return response.status === 200
    ? { status: 200 }
    : { status: response.status, message: (response.body as { message: string }).message };
}

const sign = (payload: object, secret: string, options: jwt.SignOptions) =>
  jwt.sign(payload, secret, { issuer: 'reelay', expiresIn: 600, ...options });

describe('REST (passport, reelay-jwt) and the streams (TokenService) give every token the same verdict', () => {
  let t: TestApp;
  let valid: string;
  let ofEndedSession: string;

  beforeAll(async () => {
    t = await createTestApp();
    valid = t.admin.token;
    ofEndedSession = (await t.createUser()).token;
    await t
      .http()
      .post('/auth/logout')
      .set('Authorization', `Bearer ${ofEndedSession}`)
      .expect(204);
  });
  afterAll(() => t.close());

  const both = async (headers: Record<string, string>) => {
    const [rest, stream] = await Promise.all([restVerdict(t, headers), streamVerdict(t, headers)]);
    return { rest, stream };
  };

  it.each([
    ['a valid token', () => ({ authorization: `Bearer ${valid}` }), 200],
    ['the token cookie', () => ({ cookie: `token=${valid}` }), 200],
    ['no token', () => ({}), 401],
    ['another scheme', () => ({ authorization: `Basic ${valid}` }), 401],
    [
      'an expired token',
      () => ({
        authorization: `Bearer ${sign({ sub: t.admin.id }, TEST_JWT_SECRET, { expiresIn: -10 })}`,
      }),
      401,
    ],
    [
      'another secret',
      () => ({ authorization: `Bearer ${sign({ sub: t.admin.id }, 'x'.repeat(48), {})}` }),
      401,
    ],
    [
      'another algorithm',
      () => ({
        authorization: `Bearer ${sign({ sub: t.admin.id }, TEST_JWT_SECRET, { algorithm: 'HS512' })}`,
      }),
      401,
    ],
    [
      'another issuer',
      () => ({
        authorization: `Bearer ${sign({ sub: t.admin.id }, TEST_JWT_SECRET, { issuer: 'other' })}`,
      }),
      401,
    ],
    [
      'an unsigned token',
      () => ({
        authorization: `Bearer ${jwt.sign({ sub: t.admin.id, iss: 'reelay' }, '', { algorithm: 'none' })}`,
      }),
      401,
    ],
    ['a token of a session that ended', () => ({ authorization: `Bearer ${ofEndedSession}` }), 401],
    [
      'a user that does not exist',
      () => ({ authorization: `Bearer ${sign({ sub: 'nobody' }, TEST_JWT_SECRET, {})}` }),
      401,
    ],
  ])('%s', async (_name, headers, status) => {
    const { rest, stream } = await both(headers());
    expect(rest.status).toBe(status);
    expect(stream).toEqual(rest);
  });

  it('agrees on any token changed by one character', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 10_000 }),
        fc.constantFrom(
          ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'.split(''),
        ),
        async (position, character) => {
          const at = position % valid.length;
          const changed = valid.slice(0, at) + character + valid.slice(at + 1);
          const { rest, stream } = await both({ authorization: `Bearer ${changed}` });
          expect(stream).toEqual(rest);
        },
      ),
      { numRuns: 60 },
    );
  });
});
