import {
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import jwt from 'jsonwebtoken';
import type { Principal } from '../access/principal.js';
import { IS_PUBLIC, NEEDS_SERVER_ADMIN } from '../common/auth.decorators.js';
import { STREAM_ROUTE } from '../events/events.ports.js';
import { AuthFailures } from './auth-failures.js';
import { REELAY_JWT } from './reelay-jwt.strategy.js';
import { TOKEN_FAILURE_MESSAGES, TokenRejected } from './token.service.js';

export type AuthenticatedRequest = Request & { user: Principal };

/**
 * Reelay's guard for every route (AppModule installs it): a valid token through the `reelay-jwt`
 * passport strategy, unless the route is @Public() or a stream route (the events module
 * authenticates those itself); @ServerAdminOnly() routes need a server admin. Refusals say why,
 * in the same words as the stream routes.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(REELAY_JWT) {
  constructor(
    private readonly reflector: Reflector,
    private readonly failures: AuthFailures,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    if (this.reflector.getAllAndOverride<boolean>(STREAM_ROUTE, targets)) return true;
    await super.canActivate(context);
    const { user } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (
      this.reflector.getAllAndOverride<boolean>(NEEDS_SERVER_ADMIN, targets) &&
      !user.isServerAdmin()
    ) {
      throw new ForbiddenException('This needs a server admin');
    }
    return true;
  }

  /** passport's verdict, in TokenService's words. */
  override handleRequest<TUser = Principal>(
    error: unknown,
    user: TUser | false,
    info: unknown,
  ): TUser {
    if (error instanceof TokenRejected) {
      this.failures.count(error.reason);
      throw new UnauthorizedException(error.message);
    }
    if (error) throw error;
    if (user) return user;
    const failure = failureOf(info);
    this.failures.count(failure);
    throw new UnauthorizedException(TOKEN_FAILURE_MESSAGES[failure]);
  }
}

/** Why passport-jwt found no user: no token, an expired one, or one it could not verify. */
function failureOf(info: unknown): 'missing' | 'expired' | 'invalid' {
  if (info instanceof jwt.TokenExpiredError) return 'expired';
  if (info instanceof Error && info.message === 'No auth token') return 'missing';
  return 'invalid';
}
