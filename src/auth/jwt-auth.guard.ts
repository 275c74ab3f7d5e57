import {
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { Principal } from '../access/principal.js';
import { IS_PUBLIC, NEEDS_SERVER_ADMIN } from './auth.decorators.js';
import { TOKEN_FAILURE_MESSAGES, TokenRejected } from './token.service.js';

/** The global guard: every route needs a valid token unless it is marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    await super.canActivate(context);
    const principal = context.switchToHttp().getRequest<{ user: Principal }>().user;
    if (
      this.reflector.getAllAndOverride<boolean>(NEEDS_SERVER_ADMIN, targets) &&
      !principal.isServerAdmin()
    ) {
      throw new ForbiddenException('This needs a server admin');
    }
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser, info: unknown): TUser {
    if (error instanceof TokenRejected) throw new UnauthorizedException(error.message);
    if (error) throw error;
    if (user instanceof Principal) return user;
    throw new UnauthorizedException(TOKEN_FAILURE_MESSAGES[reasonOf(info)]);
  }
}

function reasonOf(info: unknown): 'missing' | 'expired' | 'invalid' {
  if (!(info instanceof Error)) return 'missing';
  if (info.name === 'TokenExpiredError') return 'expired';
  return info.message === 'No auth token' ? 'missing' : 'invalid';
}
