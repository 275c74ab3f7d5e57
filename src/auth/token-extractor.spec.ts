import { extractToken } from './token-extractor.js';

describe('extractToken', () => {
  it('reads an Authorization Bearer header, whatever the case of the scheme', () => {
    expect(extractToken({ headers: { authorization: 'Bearer abc.def.ghi' } })).toBe('abc.def.ghi');
    expect(extractToken({ headers: { authorization: 'bearer abc' } })).toBe('abc');
    expect(extractToken({ headers: { authorization: 'Bearer   abc  ' } })).toBe('abc');
  });

  it('reads the token cookie', () => {
    expect(extractToken({ headers: {}, cookies: { token: 'from-cookie' } })).toBe('from-cookie');
  });

  it('reads the token query parameter', () => {
    expect(extractToken({ headers: {}, query: { token: 'from-query' } })).toBe('from-query');
  });

  it('prefers the header, then the cookie, then the query', () => {
    const all = {
      headers: { authorization: 'Bearer from-header' },
      cookies: { token: 'from-cookie' },
      query: { token: 'from-query' },
    };
    expect(extractToken(all)).toBe('from-header');
    expect(extractToken({ ...all, headers: {} })).toBe('from-cookie');
    expect(extractToken({ ...all, headers: {}, cookies: {} })).toBe('from-query');
  });

  it('takes a malformed Authorization header as no token, without falling back', () => {
    const fallbacks = { cookies: { token: 'from-cookie' }, query: { token: 'from-query' } };
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'abc']) {
      expect(extractToken({ headers: { authorization }, ...fallbacks })).toBeUndefined();
    }
  });

  it('ignores empty values and values that are not one string', () => {
    expect(extractToken({ headers: {} })).toBeUndefined();
    expect(extractToken({ headers: {}, cookies: { token: '' }, query: { token: '' } })).toBe(
      undefined,
    );
    expect(extractToken({ headers: {}, query: { token: ['a', 'b'] } })).toBeUndefined();
    expect(extractToken({ headers: {}, query: { token: { nested: 'x' } } })).toBeUndefined();
    expect(extractToken({ headers: {}, cookies: { token: 42 } })).toBeUndefined();
  });

  it('does not read another cookie or parameter', () => {
    expect(
      extractToken({
        headers: {},
        cookies: { access_token: 'a', Token: 'b' },
        query: { access_token: 'c' },
      }),
    ).toBeUndefined();
  });
});
