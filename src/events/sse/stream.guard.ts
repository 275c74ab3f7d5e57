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

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<StreamHttpRequest>();
    try {
      const identity = this.authenticator.authenticate(request);
      if (!(identity instanceof Promise)) {
        request.streamIdentity = identity;
        return true;
      }
      return identity.then((resolved) => {
        request.streamIdentity = resolved;
        return true;
      }, refusal);
    } catch (error) {
      return refusal(error);
    }
  }
}

/** A refusal of the port is a 401 with its reason; anything else goes on as it is. */
function refusal(error: unknown): never {
  if (error instanceof StreamRefused) throw new UnauthorizedException(error.message);
  throw error;
}
