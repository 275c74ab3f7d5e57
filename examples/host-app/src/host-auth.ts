import { type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import jwt from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import {
  STREAM_ROUTE,
  StreamAuthenticator,
  type StreamIdentity,
  StreamRefused,
  type StreamRequest,
} from '../../../src/events/events.ports.js';
import { HostDirectory, type StaffMember } from './host-directory.js';

/** The host's own tokens: its secret, its audience, a `sub` naming a staff member. */
export const HOST_SECRET = 'the-host-application-has-a-secret-of-its-own-0123';
const AUDIENCE = 'host-app';

export function hostToken(memberId: string, expiresInSeconds = 600): string {
  return jwt.sign({}, HOST_SECRET, {
    subject: memberId,
    audience: AUDIENCE,
    expiresIn: expiresInSeconds,
  });
}

/** The host's passport strategy, under its own name. */
@Injectable()
export class HostJwtStrategy extends PassportStrategy(Strategy, 'host-jwt') {
  constructor(private readonly directory: HostDirectory) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: HOST_SECRET,
      audience: AUDIENCE,
      algorithms: ['HS256'],
    });
  }

  validate(payload: { sub?: string }): StaffMember {
    const member = payload.sub === undefined ? undefined : this.directory.member(payload.sub);
    if (!member) throw new UnauthorizedException('No such staff member');
    return member;
  }
}

/** The host's global guard: its strategy on every route but the event streams. */
@Injectable()
export class HostAuthGuard extends AuthGuard('host-jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(STREAM_ROUTE, targets)) return true;
    return super.canActivate(context);
  }
}

/**
 * The events module's authentication port, on the host's tokens: synchronous, as the port asks
 * (the header, or `access_token` in the query for EventSource and Socket.IO).
 */
@Injectable()
export class HostStreamAuthenticator extends StreamAuthenticator {
  constructor(private readonly directory: HostDirectory) {
    super();
  }

  authenticate({ headers, query }: StreamRequest): StreamIdentity {
    const bearer = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
    const token =
      bearer ?? (typeof query.access_token === 'string' ? query.access_token : undefined);
    if (token === undefined) throw new StreamRefused('A host token is needed');
    let payload: jwt.JwtPayload;
    try {
      payload = jwt.verify(token, HOST_SECRET, {
        audience: AUDIENCE,
        algorithms: ['HS256'],
      }) as jwt.JwtPayload;
    } catch {
      throw new StreamRefused('The host token is not valid');
    }
    if (payload.sub === undefined || !this.directory.hasAccount(payload.sub)) {
      throw new StreamRefused('No such staff member');
    }
    return {
      principal: this.directory.principalOf(payload.sub),
      expiresAt: (payload.exp ?? 0) * 1000,
    };
  }
}

export type HostRequest = Request & { user: StaffMember };
