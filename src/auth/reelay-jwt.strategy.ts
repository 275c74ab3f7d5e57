import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import type { JwtPayload } from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import type { Principal } from '../access/principal.js';
import { extractToken } from './token-extractor.js';
import { TokenService } from './token.service.js';

/** The name of Reelay's passport strategy, so that a host's own strategies can sit beside it. */
export const REELAY_JWT = 'reelay-jwt';

/**
 * REST authentication through passport: the same tokens as everywhere in Reelay (the header,
 * the `token` cookie or query; HS256, issuer `reelay`, signed with TokenService's key), checked
 * by passport-jwt, and the principal of their user. The stream routes and the Socket.IO
 * handshake verify with TokenService directly (TokenStreamAuthenticator): passport's garbage per
 * request dominated the memory after a connection storm. A test holds both to the same verdicts.
 */
@Injectable()
export class ReelayJwtStrategy extends PassportStrategy(Strategy, REELAY_JWT) {
  constructor(private readonly tokens: TokenService) {
    super({
      jwtFromRequest: (request: Request) => extractToken(request) ?? null,
      // passport-jwt hands the key to jsonwebtoken, which takes the KeyObject as it is. Given
      // bytes (all passport-jwt's typings allow), it would first try them as a public key and
      // throw on every request: a tenth of a publish request's CPU, measured with the benchmark.
      secretOrKey: tokens.key as unknown as Buffer,
      algorithms: tokens.verifyOptions.algorithms,
      issuer: tokens.verifyOptions.issuer,
    });
  }

  /** Throws TokenRejected for a user that no longer exists. */
  validate(payload: JwtPayload): Principal {
    return this.tokens.principalOf(payload);
  }
}
