import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { StreamIdentity } from '../events/events.ports.js';
import { StreamTicketRepository } from './stream-ticket.repository.js';
import { TokenRejected, TokenService } from './token.service.js';

/** How long a stream ticket may wait to be used. */
export const STREAM_TICKET_TTL_SECONDS = 30;

export interface IssuedTicket {
  ticket: string;
  expiresIn: number;
}

function hashOf(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex');
}

/**
 * Single-use stream tickets: a client that must put a credential in a URL (EventSource has no
 * headers) asks for a ticket with its token and opens one stream with `?ticket=`, so that the
 * long-lived token never appears in URLs, proxy logs or browser history. A ticket is valid for
 * 30 seconds and one stream; that stream ends when the token it was issued with expires, or
 * when that token's session ends.
 */
@Injectable()
export class StreamTicketService {
  constructor(
    private readonly tickets: StreamTicketRepository,
    private readonly tokens: TokenService,
  ) {}

  /** A ticket for the holder of `token` (verified again here for its expiry and session). */
  async issue(token: string | undefined): Promise<IssuedTicket> {
    const { principal, expiresAt, sessionId } = this.tokens.verify(token);
    const now = Date.now();
    await this.tickets.deleteExpired(now);
    const ticket = randomBytes(32).toString('base64url');
    await this.tickets.insert({
      hash: hashOf(ticket),
      user_id: principal.userId,
      expires_at: now + STREAM_TICKET_TTL_SECONDS * 1000,
      token_expires_at: expiresAt,
      session_id: sessionId ?? null,
    });
    return { ticket, expiresIn: STREAM_TICKET_TTL_SECONDS };
  }

  /**
   * The identity a ticket opens one stream as; throws TokenRejected for any other ticket, and
   * for one whose session ended since.
   */
  async redeem(ticket: string): Promise<StreamIdentity> {
    const now = Date.now();
    const grant = await this.tickets.take(hashOf(ticket), now);
    if (grant === undefined) throw new TokenRejected('ticket');
    if (grant.tokenExpiresAt <= now) throw new TokenRejected('expired');
    const principal = this.tokens.principalOf({ sub: grant.userId, sid: grant.sessionId });
    return { principal, expiresAt: grant.tokenExpiresAt, sessionId: grant.sessionId };
  }
}
