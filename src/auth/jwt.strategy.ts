import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import type { JwtPayload } from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import type { Principal } from '../access/principal.js';
import { extractToken } from './token-extractor.js';
import { ISSUER, TokenService } from './token.service.js';

export type AuthenticatedRequest = Request & { user: Principal; tokenExpiresAt: number };

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(private readonly tokens: TokenService) {
    super({
      jwtFromRequest: (request: Request) => extractToken(request) ?? null,
      // jsonwebtoken takes a KeyObject (and verifies far faster with one); the typings lag.
      secretOrKey: tokens.key as unknown as Buffer,
      algorithms: tokens.verifyOptions.algorithms,
      issuer: ISSUER,
      passReqToCallback: true,
    });
  }

  validate(request: AuthenticatedRequest, payload: JwtPayload): Principal {
    request.tokenExpiresAt = (payload.exp ?? 0) * 1000;
    return this.tokens.principalOf(payload);
  }
}
