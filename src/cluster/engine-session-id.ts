import { randomBytes } from 'node:crypto';

/**
 * Engine.io session ids that name the worker holding the session (`w<index>-<random>`), so that
 * the primary sends each later request of a polling session to that worker without keeping a
 * table of sessions: Socket.IO's polling transport needs every request of a session on one
 * process.
 */
export function engineSessionId(workerIndex: number): string {
  return `w${workerIndex}-${randomBytes(15).toString('base64url')}`;
}

const REQUEST_TARGET = /^[A-Z]+ ([^ ]*)/;
const SESSION_IN_URL = /^[^?#]*\?(?:[^#]*&)?sid=w(\d{1,2})-/;

/** The worker a request belongs to, from the session id in its URL (`request.url`), if any. */
export function workerOfUrl(url: string): number | undefined {
  const match = SESSION_IN_URL.exec(url);
  return match ? Number(match[1]) : undefined;
}

/** The same, from the request line of a request's first bytes, before Node parsed them. */
export function workerOfRequest(head: Buffer): number | undefined {
  const target = REQUEST_TARGET.exec(head.subarray(0, 2048).toString('latin1'))?.[1];
  return target === undefined ? undefined : workerOfUrl(target);
}
