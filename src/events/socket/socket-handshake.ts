import type { IncomingHttpHeaders } from 'node:http';
import { extractToken } from '../../auth/token-extractor.js';
import type { LibraryFilter } from '../audience.js';
import { parseLastEventId, parseLibraryFilter } from '../sse/sse-query.js';

/** What a Socket.IO client sends when it connects, as socket.io hands it over. */
export interface HandshakeSources {
  /** The client's `auth` option; socket.io-client sends it on every (re)connection. */
  auth: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  query: Record<string, unknown>;
  cookies?: Record<string, unknown>;
}

/**
 * The token from `auth.token`, else where HTTP requests may carry it: the `Authorization`
 * header, the `token` cookie or the `token` query parameter.
 */
export function handshakeToken({
  auth,
  headers,
  query,
  cookies,
}: HandshakeSources): string | undefined {
  const fromAuth = auth.token;
  if (typeof fromAuth === 'string' && fromAuth !== '') return fromAuth;
  return extractToken({ headers, cookies, query });
}

export interface HandshakeOptions {
  filter: LibraryFilter;
  lastEventId?: number;
}

/**
 * The `libraries` query, read exactly as `GET /sse` reads it, and the resume point from
 * `auth.lastEventId` (a number or its decimal string) or the `lastEventId` query.
 * Throws BadRequestException with the same messages as SSE.
 */
export function handshakeOptions({ auth, query }: HandshakeSources): HandshakeOptions {
  const filter = parseLibraryFilter(query.libraries);
  const fromAuth =
    typeof auth.lastEventId === 'number' ? String(auth.lastEventId) : auth.lastEventId;
  return { filter, lastEventId: parseLastEventId(fromAuth, query.lastEventId) };
}
