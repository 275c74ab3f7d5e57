import jwt from 'jsonwebtoken';
import type { Response } from 'supertest';
import { ADMIN, createTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';

const MISSING =
  'Authentication required: send a Bearer token, the token cookie or a token query parameter';
const INVALID = 'The token is invalid';

function expectUnauthorized(response: Response, message: string): void {
  expect(response.status).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', message });
}

function sign(payload: object, options: jwt.SignOptions, secret = TEST_JWT_SECRET): string {
  return jwt.sign(payload, secret, { algorithm: 'HS256', issuer: 'reelay', ...options });
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('auth', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('POST /auth/login', () => {
    it('returns a Bearer token and sets it as an HttpOnly, SameSite=Strict cookie', async () => {
      const response = await t.http().post('/auth/login').send(ADMIN).expect(200);
      expect(response.body).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 3600,
      });
      const { accessToken } = response.body as { accessToken: string };
      const claims = jwt.verify(accessToken, TEST_JWT_SECRET) as jwt.JwtPayload;
      expect(claims).toMatchObject({ sub: t.admin.id, iss: 'reelay', sid: expect.any(String) });
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);

      const cookies = response.headers['set-cookie'] as unknown as string[];
      // The other is the session's refresh cookie (sessions.e2e-spec.ts).
      expect(cookies.map((cookie) => cookie.split('=')[0])).toEqual(['token', 'refresh']);
      const [pair, ...attributes] = cookies[0].split(/;\s*/);
      expect(pair).toBe(`token=${accessToken}`);
      expect(attributes).toEqual(
        expect.arrayContaining(['Max-Age=3600', 'Path=/', 'HttpOnly', 'SameSite=Strict']),
      );
      expect(attributes).not.toContain('Secure');
    });

    it('answers a wrong password and an unknown name alike, without a cookie', async () => {
      const responses = await Promise.all(
        [
          { username: ADMIN.username, password: 'wrong-password' },
          { username: 'nobody', password: ADMIN.password },
        ].map((body) => t.http().post('/auth/login').send(body)),
      );
      for (const response of responses) {
        expectUnauthorized(response, 'Wrong username or password');
        expect(response.headers['set-cookie']).toBeUndefined();
      }
    });

    it('refuses a body with missing, mistyped or unknown fields', async () => {
      const missing = await t.http().post('/auth/login').send({}).expect(400);
      expect(missing.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.arrayContaining(['username must be a string', 'password must be a string']),
      });
      const mistyped = await t
        .http()
        .post('/auth/login')
        .send({ username: ['admin'], password: 12345678 })
        .expect(400);
      expect(mistyped.body.message).toEqual(
        expect.arrayContaining(['username must be a string', 'password must be a string']),
      );
      const unknown = await t
        .http()
        .post('/auth/login')
        .send({ ...ADMIN, role: 'admin' })
        .expect(400);
      expect(unknown.body.message).toEqual(['property role should not exist']);
    });

    it('refuses a malformed JSON body with a 400', async () => {
      const response = await t
        .http()
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"username": "admin", ')
        .expect(400);
      expect(response.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.any(String),
      });
    });
  });

  describe('token sources on GET /auth/me', () => {
    it('accepts the Authorization Bearer header', async () => {
      const response = await t
        .http()
        .get('/auth/me')
        .set('Authorization', `Bearer ${t.admin.token}`)
        .expect(200);
      expect(response.body).toEqual({
        id: t.admin.id,
        username: ADMIN.username,
        role: 'admin',
        libraries: {},
      });
    });

    it('accepts the token cookie', async () => {
      const response = await t
        .http()
        .get('/auth/me')
        .set('Cookie', `theme=dark; token=${t.admin.token}`)
        .expect(200);
      expect(response.body).toMatchObject({ id: t.admin.id });
    });

    it('accepts the cookie that login set', async () => {
      const login = await t.http().post('/auth/login').send(ADMIN).expect(200);
      const cookie = (login.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
      const response = await t.http().get('/auth/me').set('Cookie', cookie).expect(200);
      expect(response.body).toMatchObject({ id: t.admin.id });
    });

    it('accepts the token query parameter', async () => {
      const response = await t.http().get('/auth/me').query({ token: t.admin.token }).expect(200);
      expect(response.body).toMatchObject({ id: t.admin.id });
    });

    it("lists a user's library grants", async () => {
      const user = await t.createUser();
      const reading = await t.createLibrary({ name: 'Read' });
      const writing = await t.createLibrary({ name: 'Write' });
      await t.createLibrary({ name: 'Hidden' });
      await t.grant(reading, user.id, 'read');
      await t.grant(writing, user.id, 'write');
      const response = await t
        .http()
        .get('/auth/me')
        .set('Authorization', `Bearer ${user.token}`)
        .expect(200);
      expect(response.body).toEqual({
        id: user.id,
        username: user.username,
        role: 'user',
        libraries: { [reading]: 'read', [writing]: 'write' },
      });
    });
  });

  describe('401 answers', () => {
    it('without any token', async () => {
      expectUnauthorized(await t.http().get('/auth/me'), MISSING);
      expectUnauthorized(await t.http().get('/auth/me').query({ token: '' }), MISSING);
      expectUnauthorized(await t.http().get('/auth/me').set('Cookie', 'token='), MISSING);
    });

    it('with an Authorization header that is not a Bearer token', async () => {
      const responses = await Promise.all(
        ['Basic YWRtaW46cGFzcw==', 'Bearer', `Token ${t.admin.token}`].map((authorization) =>
          t.http().get('/auth/me').set('Authorization', authorization),
        ),
      );
      for (const response of responses) expectUnauthorized(response, MISSING);
    });

    it('with a malformed token in each source', async () => {
      expectUnauthorized(
        await t.http().get('/auth/me').set('Authorization', 'Bearer not.a.jwt'),
        INVALID,
      );
      expectUnauthorized(await t.http().get('/auth/me').set('Cookie', 'token=garbage'), INVALID);
      expectUnauthorized(await t.http().get('/auth/me').query({ token: 'abc' }), INVALID);
      const truncated = t.admin.token.slice(0, -5);
      expectUnauthorized(
        await t.http().get('/auth/me').set('Authorization', `Bearer ${truncated}`),
        INVALID,
      );
    });

    it('with an expired token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = sign({ iat: now - 7200, exp: now - 60 }, { subject: t.admin.id });
      expectUnauthorized(
        await t.http().get('/auth/me').set('Authorization', `Bearer ${expired}`),
        'The token has expired; log in again',
      );
      expectUnauthorized(
        await t.http().get('/auth/me').query({ token: expired }),
        'The token has expired; log in again',
      );
    });

    it('with a token signed by another secret', async () => {
      const forged = sign({}, { subject: t.admin.id, expiresIn: 600 }, 'x'.repeat(48));
      expectUnauthorized(
        await t.http().get('/auth/me').set('Authorization', `Bearer ${forged}`),
        INVALID,
      );
    });

    it('with an unsigned token (alg: none)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const payload = { sub: t.admin.id, iss: 'reelay', iat: now, exp: now + 600 };
      const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
      expectUnauthorized(
        await t.http().get('/auth/me').set('Authorization', `Bearer ${unsigned}`),
        INVALID,
      );
      expectUnauthorized(await t.http().get('/auth/me').query({ token: unsigned }), INVALID);
    });

    it('with a token of another algorithm or issuer, even with the right secret', async () => {
      const hs512 = sign({}, { subject: t.admin.id, expiresIn: 600, algorithm: 'HS512' });
      const otherIssuer = sign({}, { subject: t.admin.id, expiresIn: 600, issuer: 'elsewhere' });
      const responses = await Promise.all(
        [hs512, otherIssuer].map((token) =>
          t.http().get('/auth/me').set('Authorization', `Bearer ${token}`),
        ),
      );
      for (const response of responses) expectUnauthorized(response, INVALID);
    });

    it('with a valid token of a user that was deleted', async () => {
      const user = await t.createUser();
      await t.http().get('/auth/me').set('Authorization', `Bearer ${user.token}`).expect(200);
      await t
        .http()
        .delete(`/users/${user.id}`)
        .set('Authorization', `Bearer ${t.admin.token}`)
        .expect(204);
      const gone = 'The token belongs to a user that no longer exists';
      expectUnauthorized(
        await t.http().get('/auth/me').set('Authorization', `Bearer ${user.token}`),
        gone,
      );
      expectUnauthorized(await t.http().get('/auth/me').query({ token: user.token }), gone);
      expectUnauthorized(
        await t
          .http()
          .post('/auth/login')
          .send({ username: user.username, password: user.password }),
        'Wrong username or password',
      );
    });

    it('with a token whose subject never existed', async () => {
      const stranger = sign(
        {},
        { subject: '00000000-0000-4000-8000-000000000000', expiresIn: 600 },
      );
      expectUnauthorized(
        await t.http().get('/auth/me').set('Authorization', `Bearer ${stranger}`),
        'The token belongs to a user that no longer exists',
      );
    });

    it('on every protected route, not only /auth/me', async () => {
      expectUnauthorized(await t.http().get('/users'), MISSING);
      expectUnauthorized(await t.http().get('/libraries'), MISSING);
      expectUnauthorized(
        await t.http().post('/libraries').send({ name: 'x', type: 'photos' }),
        MISSING,
      );
    });
  });

  it('lets public routes through without a token', async () => {
    const response = await t.http().get('/health').expect(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('clears the cookie on logout', async () => {
    const response = await t.http().post('/auth/logout').expect(204);
    const cookie = (response.headers['set-cookie'] as unknown as string[])[0];
    expect(cookie).toMatch(/^token=;/);
    expect(cookie).toContain('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  });
});
