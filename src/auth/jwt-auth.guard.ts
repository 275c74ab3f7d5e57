import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Principal } from '../access/principal.js';
import { IS_PUBLIC, NEEDS_SERVER_ADMIN } from '../common/auth.decorators.js';
import { extractToken } from './token-extractor.js';
import { TokenRejected, TokenService } from './token.service.js';

export type AuthenticatedRequest = Request & { user: Principal; tokenExpiresAt: number };

/**
 * The global guard: every route needs a valid token unless it is marked @Public(). It verifies
 * with TokenService, as the Socket.IO handshake does, synchronously: a connection storm of
 * event streams passes through here, and each allocation per request counts there.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { principal, expiresAt } = this.verify(request);
    request.user = principal;
    request.tokenExpiresAt = expiresAt;
    if (
      this.reflector.getAllAndOverride<boolean>(NEEDS_SERVER_ADMIN, targets) &&
      !principal.isServerAdmin()
    ) {
      throw new ForbiddenException('This needs a server admin');
    }
    return true;
  }

  private verify(request: Request): ReturnType<TokenService['verify']> {
    try {
      return this.tokens.verify(extractToken(request));
    } catch (error) {
      if (error instanceof TokenRejected) throw new UnauthorizedException(error.message);
      throw error;
    }
  }
}
