import { Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AccessService } from '../access/access.service.js';
import type { Principal } from '../access/principal.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import type { SessionDto } from './auth.dto.js';
import {
  formatRefreshToken,
  hashOf,
  holdsSecret,
  newSecret,
  parseRefreshToken,
  type RefreshToken,
  refreshVerdict,
} from './refresh-token.js';
import { SessionRepository, type StoredSession } from './session.repository.js';
import { TokenRejected, TokenService } from './token.service.js';

/** A refresh cookie to set: its value, and how long it lasts. */
export interface IssuedRefresh {
  token: string;
  expiresIn: number;
}

/** What a login or a refresh hands out (`expiresIn` in seconds). */
export interface SessionTokens {
  accessToken: string;
  expiresIn: number;
  /** A new refresh cookie; none when the client holds the current one already. */
  refresh?: IssuedRefresh;
}

/** The credentials a logout may name its session by. */
export interface PresentedCredentials {
  /** The `refresh` cookie. */
  refreshToken: unknown;
  /** The access token, from wherever the request carries it. */
  accessToken: string | undefined;
}

export const REFRESH_REFUSED = 'The session has ended or is unknown; log in again';
export const REFRESH_REUSED =
  'This refresh cookie was replaced already: the session has ended; log in again';

/** The longest User-Agent kept with a session. */
const USER_AGENT_LENGTH = 200;

/**
 * Login sessions: each login starts one, with a refresh cookie that gets new access tokens and is
 * replaced by each use (rotation). A replaced cookie used again, past a short grace for tabs
 * that refresh at the same moment, is taken for a stolen one and ends the session. Ending a
 * session (logout, revocation, reuse) refuses its access tokens at once and closes its streams,
 * on every process (AccessService.endSession).
 */
@Injectable()
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly tokens: TokenService,
    private readonly access: AccessService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** How long an access token lives, in ms: an ended session's tokens are refused that long. */
  private get tokenLifetimeMs(): number {
    return this.config.jwtTtlSeconds * 1000;
  }

  private get refreshLifetimeMs(): number {
    return this.config.refreshTtlSeconds * 1000;
  }

  /** Starts a session for a user who just logged in. */
  async start(
    userId: string,
    userAgent: string | undefined,
  ): Promise<SessionTokens & { refresh: IssuedRefresh }> {
    const now = Date.now();
    await this.sessions.deleteEndedBefore(now - this.tokenLifetimeMs);
    const sessionId = randomUUID();
    const secret = newSecret();
    await this.sessions.insert({
      id: sessionId,
      user_id: userId,
      secret_hash: hashOf(secret),
      previous_hash: null,
      rotated_at: now,
      created_at: now,
      last_used_at: now,
      expires_at: now + this.refreshLifetimeMs,
      revoked_at: null,
      user_agent: (userAgent ?? '').trim().slice(0, USER_AGENT_LENGTH),
    });
    return { ...this.accessFor(userId, sessionId), refresh: this.refreshOf(sessionId, secret) };
  }

  /**
   * A new access token for the holder of a refresh cookie, and the cookie's replacement; throws
   * UnauthorizedException when the cookie renews nothing (and ends its session when it was
   * replaced already).
   */
  async refresh(refreshToken: unknown): Promise<SessionTokens> {
    const presented = parseRefreshToken(refreshToken);
    if (presented === undefined) throw new UnauthorizedException(REFRESH_REFUSED);
    return this.renew(presented, hashOf(presented.secret), true);
  }

  private async renew(
    presented: RefreshToken,
    presentedHash: string,
    mayRetry: boolean,
  ): Promise<SessionTokens> {
    const now = Date.now();
    const session = await this.sessions.find(presented.sessionId);
    if (session === undefined) throw new UnauthorizedException(REFRESH_REFUSED);
    const expiresAt = now + this.refreshLifetimeMs;
    switch (refreshVerdict(session, presentedHash, now, this.config.refreshGraceMs)) {
      case 'ended':
        throw new UnauthorizedException(REFRESH_REFUSED);
      case 'reuse':
        await this.end(session.id, now);
        throw new UnauthorizedException(REFRESH_REUSED);
      case 'grace':
        if (!(await this.sessions.touch(session.id, now, expiresAt))) {
          throw new UnauthorizedException(REFRESH_REFUSED);
        }
        return this.accessFor(session.userId, session.id);
      case 'rotate': {
        const secret = newSecret();
        if (await this.sessions.rotate(session.id, presentedHash, hashOf(secret), now, expiresAt)) {
          return {
            ...this.accessFor(session.userId, session.id),
            refresh: this.refreshOf(session.id, secret),
          };
        }
        // Another refresh with the same cookie rotated it a moment ago (or the session was
        // revoked): decided again, this secret is now the replaced one.
        if (!mayRetry) throw new UnauthorizedException(REFRESH_REFUSED);
        return this.renew(presented, presentedHash, false);
      }
    }
  }

  /**
   * Ends the session of the refresh cookie and the one of the access token, each when it is
   * present and valid: anything else is ignored, as a logout always succeeds.
   */
  async logout({ refreshToken, accessToken }: PresentedCredentials): Promise<void> {
    const now = Date.now();
    const ending = new Set<string>();
    const presented = parseRefreshToken(refreshToken);
    if (presented !== undefined) {
      const session = await this.sessions.find(presented.sessionId);
      if (session !== undefined && holdsSecret(session, hashOf(presented.secret))) {
        ending.add(session.id);
      }
    }
    const tokenSession = this.sessionOf(accessToken);
    if (tokenSession !== undefined) ending.add(tokenSession);
    await Promise.all([...ending].map((sessionId) => this.end(sessionId, now)));
  }

  /** The live sessions of the holder of `accessToken`, the last used first. */
  async list(accessToken: string | undefined): Promise<SessionDto[]> {
    const { principal, sessionId } = this.tokens.verify(accessToken);
    const sessions = await this.sessions.listLive(principal.userId, Date.now());
    return sessions.map((session) => sessionDto(session, sessionId));
  }

  /** Ends one of the caller's live sessions; 404 for any other id. */
  async revoke(principal: Principal, sessionId: string): Promise<void> {
    if (!(await this.end(sessionId, Date.now(), principal.userId))) {
      throw new NotFoundException('Session not found');
    }
  }

  /** Whether this call ended the session (see SessionRepository.revoke for `owner`). */
  private async end(sessionId: string, now: number, owner?: string): Promise<boolean> {
    const userId = await this.sessions.revoke(sessionId, now, owner);
    if (userId === undefined) return false;
    this.access.endSession(userId, sessionId, now + this.tokenLifetimeMs);
    return true;
  }

  /** The session of a valid access token; none for a missing, invalid or ended one. */
  private sessionOf(accessToken: string | undefined): string | undefined {
    try {
      return this.tokens.verify(accessToken).sessionId;
    } catch (error) {
      if (error instanceof TokenRejected) return undefined;
      throw error;
    }
  }

  private accessFor(userId: string, sessionId: string): SessionTokens {
    return {
      accessToken: this.tokens.sign(userId, sessionId),
      expiresIn: this.tokens.ttlSeconds,
    };
  }

  private refreshOf(sessionId: string, secret: string): IssuedRefresh {
    return {
      token: formatRefreshToken({ sessionId, secret }),
      expiresIn: this.config.refreshTtlSeconds,
    };
  }
}

function sessionDto(session: StoredSession, currentSessionId: string | undefined): SessionDto {
  return {
    id: session.id,
    createdAt: new Date(session.createdAt).toISOString(),
    lastUsedAt: new Date(session.lastUsedAt).toISOString(),
    expiresAt: new Date(session.expiresAt).toISOString(),
    userAgent: session.userAgent,
    current: session.id === currentSessionId,
  };
}
