import { Injectable } from '@nestjs/common';
import { parseCookie } from 'cookie';
import {
  type StreamIdentity,
  StreamAuthenticator,
  StreamRefused,
  type StreamRequest,
} from '../events/events.ports.js';
import { extractToken } from './token-extractor.js';
import { TokenRejected, TokenService } from './token.service.js';

/**
 * Reelay's answer to the events module's authentication port: the JWT of the request's
 * `Authorization` header, `token` cookie or `token` query, verified synchronously by
 * TokenService, as for every other route.
 */
@Injectable()
export class TokenStreamAuthenticator extends StreamAuthenticator {
  constructor(private readonly tokens: TokenService) {
    super();
  }

  authenticate({ headers, query, cookies }: StreamRequest): StreamIdentity {
    // Socket.IO's requests have no cookie-parser in front of them: engine.io keeps each upgrade
    // request for the socket's whole life, and cookie-parser's additions cost 1.6 KB of heap.
    const parsed =
      cookies ?? (headers.cookie === undefined ? undefined : parseCookie(headers.cookie));
    try {
      return this.tokens.verify(extractToken({ headers, cookies: parsed, query }));
    } catch (error) {
      if (error instanceof TokenRejected) throw new StreamRefused(error.message);
      throw error;
    }
  }
}
