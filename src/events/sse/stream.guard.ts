import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { type StreamIdentity, StreamAuthenticator, StreamRefused } from '../events.ports.js';

export type StreamHttpRequest = Request & { streamIdentity: StreamIdentity };

/** Authenticates a stream route through the authentication port; 401 with its reason if not. */
@Injectable()
export class StreamGuard implements CanActivate {
  constructor(private readonly authenticator: StreamAuthenticator) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<StreamHttpRequest>();
    try {
      request.streamIdentity = this.authenticator.authenticate(request);
    } catch (error) {
      if (error instanceof StreamRefused) throw new UnauthorizedException(error.message);
      throw error;
    }
    return true;
  }
}
