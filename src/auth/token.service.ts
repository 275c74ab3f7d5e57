import { Inject, Injectable } from '@nestjs/common';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import { AccessService } from '../access/access.service.js';
import type { Principal } from '../access/principal.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import type { StreamIdentity } from '../events/events.ports.js';
import { SIGNING_KEY } from './signing-secret.repository.js';

export const ISSUER = 'reelay';
const ALGORITHM = 'HS256';

export type TokenFailure =
  'missing' | 'expired' | 'invalid' | 'unknown-user' | 'revoked' | 'ticket';

export class TokenRejected extends Error {
  constructor(readonly reason: TokenFailure) {
    super(TOKEN_FAILURE_MESSAGES[reason]);
  }
}

export const TOKEN_FAILURE_MESSAGES: Record<TokenFailure, string> = {
  missing:
    'Authentication required: send a Bearer token, the token cookie or a token query parameter',
  expired: 'The token has expired; log in again',
  invalid: 'The token is invalid',
  'unknown-user': 'The token belongs to a user that no longer exists',
  revoked: 'The session has ended; log in again',
  ticket: 'The stream ticket is unknown, already used or expired; ask for a new one',
};

/** What a verified token says: whose it is, until when, and in which login session. */
export interface VerifiedToken extends StreamIdentity {
  principal: Principal;
}

/**
 * Issues and verifies access tokens: HS256 only, signed with one KeyObject. A token names its
 * login session (`sid`), and is refused once that session ended, from memory (AccessService):
 * verification stays synchronous, without a query. Tokens issued before sessions existed have
 * no `sid` and live until they expire.
 */
@Injectable()
export class TokenService {
  readonly key: KeyObject;
  readonly verifyOptions: jwt.VerifyOptions & { algorithms: jwt.Algorithm[]; issuer: string } = {
    algorithms: [ALGORITHM],
    issuer: ISSUER,
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: AccessService,
    @Inject(SIGNING_KEY) key: KeyObject,
  ) {
    this.key = key;
  }

  get ttlSeconds(): number {
    return this.config.jwtTtlSeconds;
  }

  sign(userId: string, sessionId: string): string {
    return jwt.sign({ sid: sessionId }, this.key, {
      algorithm: ALGORITHM,
      issuer: ISSUER,
      subject: userId,
      expiresIn: this.config.jwtTtlSeconds,
    });
  }

  /**
   * The principal of a verified payload; throws TokenRejected for a deleted user or an ended
   * session.
   */
  principalOf(payload: JwtPayload): Principal {
    if (typeof payload.sid === 'string' && this.access.isSessionEnded(payload.sid)) {
      throw new TokenRejected('revoked');
    }
    const principal =
      typeof payload.sub === 'string' ? this.access.principalFor(payload.sub) : undefined;
    if (!principal) throw new TokenRejected('unknown-user');
    return principal;
  }

  /** Verifies a token, for the HTTP guard and the Socket.IO handshake alike. */
  verify(token: string | undefined): VerifiedToken {
    if (!token) throw new TokenRejected('missing');
    let payload: JwtPayload;
    try {
      payload = jwt.verify(token, this.key, this.verifyOptions) as JwtPayload;
    } catch (error) {
      throw new TokenRejected(error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid');
    }
    return {
      principal: this.principalOf(payload),
      expiresAt: (payload.exp ?? 0) * 1000,
      sessionId: typeof payload.sid === 'string' ? payload.sid : undefined,
    };
  }
}
