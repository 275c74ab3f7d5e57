import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthFailures } from '../auth/auth-failures.js';
import { extractToken } from '../auth/token-extractor.js';
import { TokenRejected, TokenService } from '../auth/token.service.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * `GET /metrics` on the API's port: for METRICS_TOKEN as a bearer token, or a server admin's
 * access token. The token is compared by digest in constant time, so its length leaks nothing.
 */
@Injectable()
export class MetricsGuard implements CanActivate {
  private readonly tokenDigest?: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly tokens: TokenService,
    private readonly failures: AuthFailures,
  ) {
    this.tokenDigest = config.metricsToken === undefined ? undefined : digest(config.metricsToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const presented = extractToken(request);
    if (presented !== undefined && this.tokenDigest !== undefined) {
      if (timingSafeEqual(digest(presented), this.tokenDigest)) return true;
    }
    let principal;
    try {
      ({ principal } = this.tokens.verify(presented));
    } catch (error) {
      if (!(error instanceof TokenRejected)) throw error;
      this.failures.count(error.reason);
      throw new UnauthorizedException(error.message);
    }
    if (!principal.isServerAdmin()) {
      throw new ForbiddenException('Metrics need a server admin or METRICS_TOKEN');
    }
    return true;
  }
}
