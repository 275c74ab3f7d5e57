import { Injectable } from '@nestjs/common';
import { parseCookie } from 'cookie';
import {
  type StreamIdentity,
  StreamAuthenticator,
  StreamRefused,
  type StreamRequest,
} from '../events/events.ports.js';
import { AuthFailures } from './auth-failures.js';
import { StreamTicketService } from './stream-ticket.service.js';
import { extractToken } from './token-extractor.js';
import { TOKEN_FAILURE_MESSAGES, TokenRejected, TokenService } from './token.service.js';

/**
 * Reelay's answer to the events module's authentication port: a stream ticket given as the
 * `ticket` query (redeemed once, from the database), else the JWT of the request's
 * `Authorization` header, `token` cookie or `token` query, verified synchronously by
 * TokenService, as for every other route.
 */
@Injectable()
export class TokenStreamAuthenticator extends StreamAuthenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly tickets: StreamTicketService,
    private readonly failures: AuthFailures,
  ) {
    super();
  }

  authenticate(request: StreamRequest): StreamIdentity | Promise<StreamIdentity> {
    const { ticket } = request.query;
    if (ticket === undefined) return this.verifyToken(request);
    if (typeof ticket !== 'string' || ticket === '') {
      this.failures.count('ticket');
      return Promise.reject(new StreamRefused(TOKEN_FAILURE_MESSAGES.ticket));
    }
    return this.tickets.redeem(ticket).catch((error: unknown) => {
      throw this.refusal(error);
    });
  }

  private verifyToken({ headers, query, cookies }: StreamRequest): StreamIdentity {
    // Socket.IO's requests have no cookie-parser in front of them: engine.io keeps each upgrade
    // request for the socket's whole life, and cookie-parser's additions cost 1.6 KB of heap.
    const parsed =
      cookies ?? (headers.cookie === undefined ? undefined : parseCookie(headers.cookie));
    try {
      return this.tokens.verify(extractToken({ headers, cookies: parsed, query }));
    } catch (error) {
      throw this.refusal(error);
    }
  }

  /** The port's refusal for a rejected token or ticket, with its reason; anything else as it is. */
  private refusal(error: unknown): unknown {
    if (!(error instanceof TokenRejected)) return error;
    this.failures.count(error.reason);
    return new StreamRefused(error.message);
  }
}
