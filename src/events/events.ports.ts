import type { IncomingHttpHeaders } from 'node:http';
import type { Observable } from 'rxjs';

/** A library role, weakest first: `none` < `read` < `write` < `admin`. */
export type StreamLibraryRole = 'read' | 'write' | 'admin';

/**
 * Who a stream belongs to, as the events module asks it, on every delivery: answers must be
 * live, so that a grant or a revocation reaches open streams at once.
 */
export interface StreamPrincipal {
  readonly userId: string;
  /** False once the user is gone: their streams close. */
  readonly active: boolean;
  isServerAdmin(): boolean;
  isLibraryAdmin(libraryId: string): boolean;
  canRead(libraryId: string): boolean;
}

/** An authenticated stream request: who, and until when (epoch ms) it may stream. */
export interface StreamIdentity {
  principal: StreamPrincipal;
  expiresAt: number;
  /** The login session it was opened in, if the host has sessions: its end closes the stream. */
  sessionId?: string;
}

/**
 * What a stream request carries, on either transport: its headers and its parsed query, and its
 * cookies where the application parses them (Reelay does, with cookie-parser).
 */
export interface StreamRequest {
  headers: IncomingHttpHeaders;
  query: Record<string, unknown>;
  cookies?: Record<string, unknown>;
}

/**
 * Marks the routes the events module guards itself (through StreamAuthenticator; its AsyncAPI
 * document needs no credentials): a host's global guard should let them through, as Reelay's does.
 */
export const STREAM_ROUTE = 'reelay:stream-route';

/** Why a stream request was refused, for its 401 (or Socket.IO's `connect_error`). */
export class StreamRefused extends Error {}

/**
 * The authentication port: who makes a stream request (`GET /sse`, the first request of a
 * Socket.IO session); throws (or rejects with) StreamRefused. Synchronous where it can be, as it
 * runs for every connection of a reconnect storm: a Promise only for what needs a lookup (Reelay's
 * stream tickets). Reelay's own is the JWT of its AuthModule.
 */
export abstract class StreamAuthenticator {
  abstract authenticate(request: StreamRequest): StreamIdentity | Promise<StreamIdentity>;
}

/**
 * The access port: who may receive what, as an index the fan-out walks (it visits only the
 * users an event may reach), and the changes open streams must follow. Reelay's own is its
 * AccessService.
 */
export abstract class StreamAccess {
  /** Users deleted: their streams close. */
  abstract readonly userRemoved$: Observable<string>;
  /**
   * Sessions ended (a logout, a revocation), in this process or another: the streams opened in
   * them (StreamIdentity.sessionId) close. A host without sessions leaves it out.
   */
  declare readonly sessionEnded$?: Observable<{ userId: string; sessionId: string }>;
  /**
   * Whether a session has ended, asked as a stream opens: one authenticated a moment before its
   * session ended, and registered a moment after, closes at once. With `sessionEnded$`.
   */
  isSessionEnded?(sessionId: string): boolean;
  /**
   * Changes made in this process, which the Redis bus replays on the other processes through
   * `apply`; each must be plain JSON.
   */
  abstract readonly changes$: Observable<unknown>;
  abstract apply(change: unknown): void;
  /** The ids of the server admins, who receive every library's events. */
  abstract serverAdminIds(): ReadonlySet<string>;
  /** The users with a role in the library, and that role. */
  abstract libraryMembers(libraryId: string): Iterable<[string, StreamLibraryRole]>;
  /** Whether the user exists (an `owner` event reaches only a user who does). */
  abstract hasAccount(userId: string): boolean;
}
