import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a refresh cookie holds, `<session id>.<secret>`: which session, and its secret. */
export interface RefreshToken {
  sessionId: string;
  secret: string;
}

/** What a refresh needs to know of its session (times in epoch ms). */
export interface RefreshableSession {
  secretHash: string;
  previousHash: string | null;
  rotatedAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/**
 * What a refresh does with the secret it was given:
 * - `rotate`: the current secret: a new access token, and a new secret in its place;
 * - `grace`: the secret the last refresh replaced, moments ago (another tab refreshed at the
 *   same time, and the browser holds the new cookie already): a new access token only;
 * - `reuse`: any other secret: someone kept an outdated cookie, so the session ends;
 * - `ended`: the session expired or was revoked: there is nothing to renew.
 */
export type RefreshVerdict = 'rotate' | 'grace' | 'reuse' | 'ended';

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** 32 random bytes in base64url. */
const SECRET = /^[\w-]{43}$/;
const SHA256_BYTES = 32;

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a secret. */
export function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function formatRefreshToken({ sessionId, secret }: RefreshToken): string {
  return `${sessionId}.${secret}`;
}

/** The session and secret of a refresh cookie; undefined for anything not shaped like one. */
export function parseRefreshToken(value: unknown): RefreshToken | undefined {
  if (typeof value !== 'string') return undefined;
  const dot = value.indexOf('.');
  const sessionId = value.slice(0, dot);
  const secret = value.slice(dot + 1);
  return dot > 0 && SESSION_ID.test(sessionId) && SECRET.test(secret)
    ? { sessionId, secret }
    : undefined;
}

/** Whether the secret of `presentedHash` is the session's current one or the one it replaced. */
export function holdsSecret(session: RefreshableSession, presentedHash: string): boolean {
  return (
    sameHash(presentedHash, session.secretHash) ||
    (session.previousHash !== null && sameHash(presentedHash, session.previousHash))
  );
}

/** What a refresh at `now` with the secret of `presentedHash` does (see RefreshVerdict). */
export function refreshVerdict(
  session: RefreshableSession,
  presentedHash: string,
  now: number,
  graceMs: number,
): RefreshVerdict {
  if (session.revokedAt !== null || session.expiresAt <= now) return 'ended';
  if (sameHash(presentedHash, session.secretHash)) return 'rotate';
  const replacedMomentsAgo =
    session.previousHash !== null &&
    sameHash(presentedHash, session.previousHash) &&
    now - session.rotatedAt < graceMs;
  return replacedMomentsAgo ? 'grace' : 'reuse';
}

/** Compared in constant time: how much of a hash matched must not show in the answer's timing. */
function sameHash(left: string, right: string): boolean {
  const a = Buffer.from(left, 'hex');
  const b = Buffer.from(right, 'hex');
  return a.length === SHA256_BYTES && b.length === SHA256_BYTES && timingSafeEqual(a, b);
}
