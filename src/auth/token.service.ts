import { Inject, Injectable } from '@nestjs/common';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import { AccessService } from '../access/access.service.js';
import type { Principal } from '../access/principal.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { SIGNING_KEY } from './signing-secret.repository.js';

export const ISSUER = 'reelay';
const ALGORITHM = 'HS256';

export type TokenFailure = 'missing' | 'expired' | 'invalid' | 'unknown-user' | 'ticket';

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
  ticket: 'The stream ticket is unknown, already used or expired; ask for a new one',
};

/** Issues and verifies access tokens: HS256 only, signed with one KeyObject. */
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

  sign(userId: string): string {
    return jwt.sign({}, this.key, {
      algorithm: ALGORITHM,
      issuer: ISSUER,
      subject: userId,
      expiresIn: this.config.jwtTtlSeconds,
    });
  }

  /** The principal of a verified payload; throws TokenRejected for a deleted user. */
  principalOf(payload: JwtPayload): Principal {
    const principal =
      typeof payload.sub === 'string' ? this.access.principalFor(payload.sub) : undefined;
    if (!principal) throw new TokenRejected('unknown-user');
    return principal;
  }

  /** Verifies a token, for the HTTP guard and the Socket.IO handshake alike. */
  verify(token: string | undefined): { principal: Principal; expiresAt: number } {
    if (!token) throw new TokenRejected('missing');
    let payload: JwtPayload;
    try {
      payload = jwt.verify(token, this.key, this.verifyOptions) as JwtPayload;
    } catch (error) {
      throw new TokenRejected(error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid');
    }
    return { principal: this.principalOf(payload), expiresAt: (payload.exp ?? 0) * 1000 };
  }
}
