import { randomUUID } from 'node:crypto';
import {
  formatRefreshToken,
  hashOf,
  holdsSecret,
  newSecret,
  parseRefreshToken,
  type RefreshableSession,
  refreshVerdict,
} from './refresh-token.js';

const GRACE_MS = 10_000;
const ROTATED_AT = 1_000_000;

const current = newSecret();
const previous = newSecret();
const older = newSecret();

/** A live session whose secret was last rotated at ROTATED_AT, from `previous` to `current`. */
function session(changes: Partial<RefreshableSession> = {}): RefreshableSession {
  return {
    secretHash: hashOf(current),
    previousHash: hashOf(previous),
    rotatedAt: ROTATED_AT,
    expiresAt: ROTATED_AT + 30 * 86_400_000,
    revokedAt: null,
    ...changes,
  };
}

describe('refresh tokens', () => {
  it('are a session id and 32 random bytes, and read back as they were written', () => {
    const token = { sessionId: randomUUID(), secret: newSecret() };
    expect(token.secret).toMatch(/^[\w-]{43}$/);
    expect(Buffer.from(token.secret, 'base64url')).toHaveLength(32);
    expect(newSecret()).not.toBe(token.secret);
    expect(parseRefreshToken(formatRefreshToken(token))).toEqual(token);
  });

  it.each([
    ['nothing', undefined],
    ['a number', 42],
    ['an empty string', ''],
    ['no secret', `${randomUUID()}.`],
    ['no session', `.${newSecret()}`],
    ['a session id that is no UUID', `session.${newSecret()}`],
    ['an upper-case UUID', `${randomUUID().toUpperCase()}.${newSecret()}`],
    ['a short secret', `${randomUUID()}.${newSecret().slice(1)}`],
    ['a secret with a dot', `${randomUUID()}.${newSecret().slice(1)}.`],
    ['an access token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
  ])('are refused when they hold %s', (_name, value) => {
    expect(parseRefreshToken(value)).toBeUndefined();
  });

  it('are kept as a SHA-256 hash, never as they are', () => {
    expect(hashOf(current)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOf(current)).not.toContain(current);
    expect(hashOf(current)).toBe(hashOf(current));
    expect(hashOf(current)).not.toBe(hashOf(previous));
  });
});

describe('refreshVerdict', () => {
  it('rotates the current secret, at any time before the session expires', () => {
    expect(refreshVerdict(session(), hashOf(current), ROTATED_AT, GRACE_MS)).toBe('rotate');
    expect(refreshVerdict(session(), hashOf(current), ROTATED_AT + 86_400_000, GRACE_MS)).toBe(
      'rotate',
    );
  });

  it('renews without rotating on the replaced secret within the grace, and ends the session after it', () => {
    const verdictAt = (now: number) => refreshVerdict(session(), hashOf(previous), now, GRACE_MS);
    expect(verdictAt(ROTATED_AT)).toBe('grace');
    expect(verdictAt(ROTATED_AT + GRACE_MS - 1)).toBe('grace');
    expect(verdictAt(ROTATED_AT + GRACE_MS)).toBe('reuse');
    expect(verdictAt(ROTATED_AT + 86_400_000)).toBe('reuse');
  });

  it('gives no grace when the grace is 0', () => {
    expect(refreshVerdict(session(), hashOf(previous), ROTATED_AT, 0)).toBe('reuse');
  });

  it('ends the session on a secret older than the replaced one, or unknown, even within the grace', () => {
    expect(refreshVerdict(session(), hashOf(older), ROTATED_AT, GRACE_MS)).toBe('reuse');
    expect(refreshVerdict(session(), hashOf(newSecret()), ROTATED_AT, GRACE_MS)).toBe('reuse');
  });

  it('ends the session on any but the current secret before the first rotation', () => {
    const fresh = session({ previousHash: null });
    expect(refreshVerdict(fresh, hashOf(previous), ROTATED_AT, GRACE_MS)).toBe('reuse');
    expect(refreshVerdict(fresh, hashOf(current), ROTATED_AT, GRACE_MS)).toBe('rotate');
  });

  it('renews nothing of an expired or revoked session, whatever the secret', () => {
    const expired = session({ expiresAt: ROTATED_AT + 1 });
    const revoked = session({ revokedAt: ROTATED_AT });
    for (const secret of [current, previous, older]) {
      expect(refreshVerdict(expired, hashOf(secret), ROTATED_AT + 1, GRACE_MS)).toBe('ended');
      expect(refreshVerdict(revoked, hashOf(secret), ROTATED_AT, GRACE_MS)).toBe('ended');
    }
  });

  it('never takes a hash that is not one for a match', () => {
    const broken = session({ secretHash: '', previousHash: 'not hex' });
    expect(refreshVerdict(broken, '', ROTATED_AT, GRACE_MS)).toBe('reuse');
    expect(holdsSecret(broken, '')).toBe(false);
  });
});

describe('holdsSecret', () => {
  it('knows the current and the replaced secret, at any time, and no other', () => {
    expect(holdsSecret(session(), hashOf(current))).toBe(true);
    expect(holdsSecret(session(), hashOf(previous))).toBe(true);
    expect(holdsSecret(session(), hashOf(older))).toBe(false);
    expect(holdsSecret(session({ previousHash: null }), hashOf(previous))).toBe(false);
  });
});
