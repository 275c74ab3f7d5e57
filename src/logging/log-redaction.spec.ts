import * as fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { REDACTED, redactText, redactUrl, redactValue } from './log-redaction.js';

const TOKEN = jwt.sign({ sub: 'user-1', sid: 'session-1' }, 'k'.repeat(40), { issuer: 'reelay' });
const [, PAYLOAD, SIGNATURE] = TOKEN.split('.');
const REFRESH = '5bb6e943-dbce-413e-a558-4507c55ea7ad.7ZNvr-ZkpS4vnjJkc_Hh6r-DU830GKsA13G5YpxCf1c';
const REFRESH_SECRET = REFRESH.split('.')[1];
const TICKET = 'oQ3mT1l2x9Zr8kVbJ4pW6sYd0uHc5nEa7gFiKqLoMtU';

/** None of the token's secret parts, in any form, is left in `text`. */
function expectNoToken(text: string): void {
  expect(text).not.toContain(SIGNATURE);
  expect(text).not.toContain(PAYLOAD);
}

const base64url = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);

describe('redactText', () => {
  it.each([
    ['in prose', `the token ${TOKEN} expired`],
    ['glued to other text', `xx${TOKEN}yy`],
    ['after an encoded "="', `next=%2Fsse%3Ftoken%3D${TOKEN}`],
    ['with encoded dots', TOKEN.replaceAll('.', '%2E')],
    ['with lower-case encoded dots', TOKEN.replaceAll('.', '%2e')],
    ['as a Bearer credential', `Authorization: Bearer ${TOKEN}`],
    ['inside a JSON string', JSON.stringify({ note: `sent ${TOKEN}` })],
    ['twice on a line', `${TOKEN} and again ${TOKEN}`],
    ['unsigned (alg none)', `${TOKEN.split('.').slice(0, 2).join('.')}.`],
  ])('removes a JWT %s', (_case, text) => {
    const redacted = redactText(text);
    expect(redacted).toContain(REDACTED);
    expectNoToken(redacted);
  });

  it.each([
    ['Authorization: Bearer not-a-jwt-but-secret-1234', 'not-a-jwt-but-secret-1234'],
    ['authorization:bearer   not-a-jwt-but-secret-1234', 'not-a-jwt-but-secret-1234'],
    ['Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA'],
    ['got Basic dXNlcjpwYXNzd29yZA== from the client', 'dXNlcjpwYXNzd29yZA'],
    [`Cookie: token=${TOKEN}; refresh=${REFRESH}`, REFRESH_SECRET],
    [`cookie: refresh=${REFRESH}`, REFRESH_SECRET],
    [`Set-Cookie: refresh=${REFRESH}; Max-Age=2592000; Path=/auth; HttpOnly`, REFRESH_SECRET],
    [`refresh=${REFRESH}; Path=/auth`, REFRESH_SECRET],
    [`GET /sse?libraries=a&ticket=${TICKET}`, TICKET],
    [`GET /sse?access_token=${TICKET}`, TICKET],
    [`GET /sse?TOKEN=${TICKET}&x=1`, TICKET],
    [`<a href="/x?refresh_token=${TICKET}">`, TICKET],
    ['password=hunter2-hunter2&user=a', 'hunter2-hunter2'],
  ])('removes the credential of %j', (text, secret) => {
    const redacted = redactText(text);
    expect(redacted).not.toContain(secret);
    expectNoToken(redacted);
  });

  it.each([
    ['{"username":"a","password":"p4ss-word"}', 'p4ss-word'],
    ['{"password" : "with \\"quotes\\" and \\\\ slashes"}', 'quotes'],
    ['{"newPassword":"n3w-pass-word"}', 'n3w-pass-word'],
    [`{"accessToken":"${TICKET}","tokenType":"Bearer"}`, TICKET],
    [`{"refreshToken":"${TICKET}"}`, TICKET],
    [`{"ticket":"${TICKET}","expiresIn":30}`, TICKET],
    [`{"token": 123456789}`, '123456789'],
    [`{"set-cookie":["refresh=${REFRESH}", "token=x"]}`, REFRESH_SECRET],
    [`{"headers":{"authorization":"Token ${TICKET}","cookie":"a=b"}}`, TICKET],
    [`{"jwtSecret":"${TICKET}"}`, TICKET],
  ])('removes the secret fields of JSON text %s', (text, secret) => {
    const redacted = redactText(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain(`"${REDACTED}"`);
  });

  it.each([
    'GET /libraries/0b6c?page=2&sort=name 200 3ms',
    'POST /auth/stream-ticket 201 4ms',
    '{"tokenType":"Bearer","expiresIn":3600}',
    'GET /sse?tokens=5&ticketing=on 200',
    'Applied migration 0009-stream-tickets',
    'User 1ee051a6-a0dd-424c-a4a6-9be87c76c369 ("admin") logged in from 127.0.0.1',
  ])('leaves text without a credential as it is: %s', (text) => {
    expect(redactText(text)).toBe(text);
  });

  it('gives the same text when applied again', () => {
    const text = `Bearer ${TOKEN} cookie: refresh=${REFRESH} {"password":"x"} /sse?ticket=${TICKET}`;
    const once = redactText(text);
    expect(redactText(once)).toBe(once);
  });

  it('removes any secret of a known shape, whatever surrounds it', () => {
    const carriers = [
      (secret: string) => `GET /sse?token=${secret}`,
      (secret: string) => `GET /sse?x=1&ticket=${secret}&y=2`,
      (secret: string) => `Authorization: Bearer ${secret}`,
      (secret: string) => `Cookie: refresh=session.${secret}`,
      (secret: string) => JSON.stringify({ password: secret, username: 'u' }),
      (secret: string) => JSON.stringify({ nested: JSON.stringify({ accessToken: secret }) }),
    ];
    fc.assert(
      fc.property(
        base64url,
        fc.constantFrom(...carriers),
        fc.string(),
        fc.string(),
        (secret, carry, before, after) => {
          expect(redactText(`${before} ${carry(secret)} ${after}`)).not.toContain(secret);
        },
      ),
    );
  });

  it('takes linear time on hostile text (no catastrophic backtracking)', () => {
    const size = 64 * 1024;
    const hostile = [
      'eyJ'.repeat(size / 3),
      `eyJ${'a'.repeat(size)}.${'b'.repeat(size)}`,
      `{"password":"${'\\'.repeat(size)}`,
      `{"token":["a"${' '.repeat(size)}`,
      `Bearer${' '.repeat(size)}`,
      `token=${'a'.repeat(size)}`.repeat(4),
      '"a'.repeat(size / 2),
    ];
    const started = Date.now();
    for (const text of hostile) redactText(text);
    // Quadratic behaviour on these takes minutes; linear takes milliseconds.
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('redactUrl', () => {
  it.each([
    [`/sse?token=${TICKET}`, '/sse?token=[REDACTED]'],
    [`/sse?%74oken=${TICKET}`, '/sse?%74oken=[REDACTED]'],
    [`/sse?Token=${TICKET}&libraries=a,b`, '/sse?Token=[REDACTED]&libraries=a,b'],
    [`/sse?token[]=${TICKET}&token[x]=${TICKET}`, '/sse?token[]=[REDACTED]&token[x]=[REDACTED]'],
    [`/sse?ticket=${TICKET}&ticket=${TICKET}`, '/sse?ticket=[REDACTED]&ticket=[REDACTED]'],
    [`/sse?+token+=${TICKET}`, '/sse?+token+=[REDACTED]'],
    [`/x?password=${TICKET}`, '/x?password=[REDACTED]'],
    [`/x?a=%E0%A4%A&token=${TICKET}`, '/x?a=%E0%A4%A&token=[REDACTED]'],
    ['/libraries?page=2&sort=name', '/libraries?page=2&sort=name'],
    ['/sse', '/sse'],
    ['/sse?token', '/sse?token=[REDACTED]'],
  ])('%s is logged as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });

  it('removes a JWT from the path and from other parameters too', () => {
    const logged = redactUrl(`/auth/${TOKEN}?next=${encodeURIComponent(`/sse?token=${TOKEN}`)}`);
    expectNoToken(logged);
  });
});

describe('redactValue', () => {
  it('replaces the fields named as secrets, at any depth, and redacts every string', () => {
    const value = {
      method: 'GET',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        Cookie: `token=${TOKEN}`,
        'set-cookie': [`refresh=${REFRESH}`],
        'user-agent': 'curl',
      },
      body: { username: 'a', password: 'p4ss-word', newPassword: 'n3w-pass' },
      accessToken: TOKEN,
      ticket: TICKET,
      note: `sent ${TOKEN}`,
      list: [{ refreshToken: TICKET }, `Bearer ${TICKET}`],
      status: 200,
      ok: true,
      missing: null,
    };
    const redacted = redactValue(value);
    expect(redacted).toEqual({
      method: 'GET',
      headers: {
        authorization: REDACTED,
        Cookie: REDACTED,
        'set-cookie': REDACTED,
        'user-agent': 'curl',
      },
      body: { username: 'a', password: REDACTED, newPassword: REDACTED },
      accessToken: REDACTED,
      ticket: REDACTED,
      note: `sent ${REDACTED}`,
      list: [{ refreshToken: REDACTED }, `Bearer ${REDACTED}`],
      status: 200,
      ok: true,
      missing: null,
    });
    expect(value.body.password).toBe('p4ss-word');
  });

  it('survives cycles, depth, errors, maps, sets, dates, big numbers and throwing getters', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { password: 'deep-secret' };
    for (let level = 0; level < 20; level++) deep = { next: deep };
    const error = new Error(`refused ${TOKEN}`);
    const redacted = redactValue({
      cyclic,
      deep,
      error,
      map: new Map([['token', TICKET]]),
      set: new Set([`Bearer ${TICKET}`]),
      at: new Date(0),
      big: 10n ** 30n,
      hostile: {
        get boom(): never {
          throw new Error('no reading me');
        },
      },
    }) as Record<string, unknown>;
    const text = JSON.stringify(redacted, (_key, item: unknown) =>
      typeof item === 'bigint' ? item.toString() : item,
    );
    expect(text).not.toContain(TICKET);
    expect(text).not.toContain('deep-secret');
    expectNoToken(text);
    expect(redacted.cyclic).toEqual({ name: 'loop', self: '[Circular]' });
    expect(text).toContain('[Truncated]');
    expect(redacted.error).toMatchObject({ name: 'Error', message: `refused ${REDACTED}` });
    expect(redacted.at).toBe('1970-01-01T00:00:00.000Z');
    expect(redacted.big).toBe(10n ** 30n);
    expect(redacted.hostile).toBe('[Unreadable]');
    expect(redacted.set).toEqual([`Bearer ${REDACTED}`]);
    expect(redacted.map).toEqual({ token: REDACTED });
  });
});
