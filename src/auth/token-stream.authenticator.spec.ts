import { createSecretKey } from 'node:crypto';
import type { AccessRepository } from '../access/access.repository.js';
import { AccessService } from '../access/access.service.js';
import { loadAppConfig } from '../config/app-config.js';
import { StreamRefused } from '../events/events.ports.js';
import { TokenStreamAuthenticator } from './token-stream.authenticator.js';
import { TOKEN_FAILURE_MESSAGES, TokenService } from './token.service.js';

describe('TokenStreamAuthenticator', () => {
  // The accounts come from the database at start; these tests add them as a sign-up would.
  const access = new AccessService(undefined as unknown as AccessRepository);
  for (const id of ['by-header', 'by-cookie', 'by-query']) {
    access.addAccount({ id, username: id, role: 'user' });
  }
  const tokens = new TokenService(
    loadAppConfig({}),
    access,
    createSecretKey(Buffer.from('a-secret-long-enough-for-the-tests-0123456789')),
  );
  const authenticator = new TokenStreamAuthenticator(tokens);
  const [header, cookie, query] = ['by-header', 'by-cookie', 'by-query'].map((id) =>
    tokens.sign(id),
  );
  const userOf = (request: Parameters<TokenStreamAuthenticator['authenticate']>[0]) =>
    authenticator.authenticate(request).principal.userId;

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
    const identity = authenticator.authenticate({ headers: {}, query: { token: query } });
    expect(identity.expiresAt).toBeGreaterThan(Date.now());
    expect(() => authenticator.authenticate({ headers: {}, query: {} })).toThrow(
      new StreamRefused(TOKEN_FAILURE_MESSAGES.missing),
    );
    expect(() =>
      authenticator.authenticate({ headers: { authorization: `Bearer ${query}x` }, query: {} }),
    ).toThrow(new StreamRefused(TOKEN_FAILURE_MESSAGES.invalid));
  });
});
