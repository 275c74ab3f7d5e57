import type { IncomingHttpHeaders } from 'node:http';
import type { LibraryFilter } from '../audience.js';
import { parseLastEventId, parseLibraryFilter } from '../sse/sse-query.js';

/**
 * What the HTTP request that opened the engine.io session carries: engine.io checks its token
 * before the session exists, socket.io again when the client joins the namespace.
 */
export interface RequestSources {
  headers: IncomingHttpHeaders;
  /** The query as engine.io reads it: one string per name, the last of a repeated one. */
  query: Record<string, unknown>;
}

/** What a Socket.IO client sends when it connects, as socket.io hands it over. */
export interface HandshakeSources extends RequestSources {
  /**
   * The client's `auth` option; socket.io-client sends it on every (re)connection. It arrives
   * once the engine.io session exists, so it carries options, never the token.
   */
  auth: Record<string, unknown>;
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
