import { createSecretKey } from 'node:crypto';
import type { AccessRepository } from '../access/access.repository.js';
import { AccessService } from '../access/access.service.js';
import { loadAppConfig } from '../config/app-config.js';
import { type StreamIdentity, StreamRefused } from '../events/events.ports.js';
import type { StreamTicketService } from './stream-ticket.service.js';
import { AuthFailures } from './auth-failures.js';
import { TokenStreamAuthenticator } from './token-stream.authenticator.js';
import { TOKEN_FAILURE_MESSAGES, TokenService } from './token.service.js';

describe('TokenStreamAuthenticator', () => {
  // The accounts come from the database at start; these tests add them as a sign-up would.
  const config = loadAppConfig({});
  const access = new AccessService(undefined as unknown as AccessRepository, config);
  for (const id of ['by-header', 'by-cookie', 'by-query']) {
    access.addAccount({ id, username: id, role: 'user' });
  }
  const tokens = new TokenService(
    config,
    access,
    createSecretKey(Buffer.from('a-secret-long-enough-for-the-tests-0123456789')),
  );
  const redeemed: string[] = [];
  const tickets = {
    redeem: (ticket: string) => {
      redeemed.push(ticket);
      return Promise.resolve({ principal: access.principalFor('by-query'), expiresAt: 1 });
    },
  } as unknown as StreamTicketService;
  const failures = new AuthFailures();
  const authenticator = new TokenStreamAuthenticator(tokens, tickets, failures);
  /** A token is verified at once, without a Promise. */
  const verified = (request: Parameters<TokenStreamAuthenticator['authenticate']>[0]) =>
    authenticator.authenticate(request) as StreamIdentity;
  const [header, cookie, query] = ['by-header', 'by-cookie', 'by-query'].map((id) =>
    tokens.sign(id, `session-of-${id}`),
  );
  const userOf = (request: Parameters<TokenStreamAuthenticator['authenticate']>[0]) =>
    verified(request).principal.userId;

  it('takes the header, then the cookie (parsed or not), then the query', () => {
    const headers = { authorization: `Bearer ${header}`, cookie: `theme=dark; token=${cookie}` };
    expect(userOf({ headers, query: { token: query } })).toBe('by-header');
    expect(userOf({ headers: { cookie: headers.cookie }, query: { token: query } })).toBe(
      'by-cookie',
    );
    expect(userOf({ headers: {}, cookies: { token: cookie }, query: { token: query } })).toBe(
      'by-cookie',
    );
    expect(userOf({ headers: { cookie: 'theme=dark' }, query: { token: query } })).toBe('by-query');
  });

  it('gives the token expiry, and refuses a missing or bad token with its reason', () => {
    const identity = verified({ headers: {}, query: { token: query } });
    expect(identity.expiresAt).toBeGreaterThan(Date.now());
    expect(() => authenticator.authenticate({ headers: {}, query: {} })).toThrow(
      new StreamRefused(TOKEN_FAILURE_MESSAGES.missing),
    );
    expect(() =>
      authenticator.authenticate({ headers: { authorization: `Bearer ${query}x` }, query: {} }),
    ).toThrow(new StreamRefused(TOKEN_FAILURE_MESSAGES.invalid));
    expect([failures.of('missing'), failures.of('invalid')]).toEqual([1, 1]);
  });

  it("gives the token's session, and refuses a token of a session that ended, at once", () => {
    const token = tokens.sign('by-header', 'ending');
    const request = { headers: { authorization: `Bearer ${token}` }, query: {} };
    expect(verified(request).sessionId).toBe('ending');
    access.endSession('by-header', 'ending', Date.now() + 60_000);
    expect(() => authenticator.authenticate(request)).toThrow(
      new StreamRefused(TOKEN_FAILURE_MESSAGES.revoked),
    );
    expect(userOf({ headers: { authorization: `Bearer ${header}` }, query: {} })).toBe('by-header');
  });

  it('redeems a ticket given as the ticket query instead of any token, and refuses an empty one', async () => {
    const identity = await authenticator.authenticate({
      headers: { authorization: `Bearer ${header}` },
      query: { ticket: 'a-ticket' },
    });
    expect(redeemed).toEqual(['a-ticket']);
    expect(identity.principal.userId).toBe('by-query');
    await expect(
      authenticator.authenticate({ headers: {}, query: { ticket: '' } }),
    ).rejects.toEqual(new StreamRefused(TOKEN_FAILURE_MESSAGES.ticket));
    await expect(
      authenticator.authenticate({ headers: {}, query: { ticket: ['a', 'b'] } }),
    ).rejects.toEqual(new StreamRefused(TOKEN_FAILURE_MESSAGES.ticket));
    expect(failures.of('ticket')).toBe(2);
  });
});
