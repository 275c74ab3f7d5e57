import { BadRequestException } from '@nestjs/common';
import { handshakeOptions, handshakeToken, type HandshakeSources } from './socket-handshake.js';

const sources = (overrides: Partial<HandshakeSources> = {}): HandshakeSources => ({
  auth: {},
  headers: {},
  query: {},
  ...overrides,
});

describe('handshakeToken', () => {
  it('takes auth.token first, then the header, the cookie and the query', () => {
    const all = sources({
      auth: { token: 'from-auth' },
      headers: { authorization: 'Bearer from-header' },
      cookies: { token: 'from-cookie' },
      query: { token: 'from-query' },
    });
    expect(handshakeToken(all)).toBe('from-auth');
    expect(handshakeToken({ ...all, auth: {} })).toBe('from-header');
    expect(handshakeToken({ ...all, auth: {}, headers: {} })).toBe('from-cookie');
    expect(handshakeToken({ ...all, auth: {}, headers: {}, cookies: {} })).toBe('from-query');
    expect(handshakeToken(sources())).toBeUndefined();
  });

  it('ignores an auth.token that is not a non-empty string', () => {
    expect(handshakeToken(sources({ auth: { token: 42 }, query: { token: 'q' } }))).toBe('q');
    expect(handshakeToken(sources({ auth: { token: '' } }))).toBeUndefined();
    expect(handshakeToken(sources({ auth: { token: ['a'] } }))).toBeUndefined();
  });
});

describe('handshakeOptions', () => {
  it('reads the libraries query as SSE does', () => {
    expect(handshakeOptions(sources()).filter).toBeNull();
    expect(handshakeOptions(sources({ query: { libraries: ' a,b ,a' } })).filter).toEqual(
      new Set(['a', 'b']),
    );
    expect(() => handshakeOptions(sources({ query: { libraries: ',' } }))).toThrow(
      BadRequestException,
    );
  });

  it('takes the resume point from auth.lastEventId as a number or a string, else the query', () => {
    expect(handshakeOptions(sources()).lastEventId).toBeUndefined();
    expect(handshakeOptions(sources({ auth: { lastEventId: 12 } })).lastEventId).toBe(12);
    expect(handshakeOptions(sources({ auth: { lastEventId: '13' } })).lastEventId).toBe(13);
    expect(handshakeOptions(sources({ query: { lastEventId: '14' } })).lastEventId).toBe(14);
  });

  it.each([[-1], [1.5], [Number.NaN], [1e20], ['x'], [{}], [[1]]])(
    'refuses the resume point %p',
    (lastEventId) => {
      expect(() => handshakeOptions(sources({ auth: { lastEventId } }))).toThrow(
        BadRequestException,
      );
    },
  );
});
