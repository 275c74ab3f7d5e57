import { BadRequestException } from '@nestjs/common';
import { handshakeOptions, handshakeToken, type HandshakeSources } from './socket-handshake.js';

const sources = (overrides: Partial<HandshakeSources> = {}): HandshakeSources => ({
  auth: {},
  headers: {},
  query: {},
  ...overrides,
});

describe('handshakeToken', () => {
  it('takes the header, then the cookie, then the query', () => {
    const all = sources({
      headers: { authorization: 'Bearer from-header', cookie: 'theme=dark; token=from-cookie' },
      query: { token: 'from-query' },
    });
    expect(handshakeToken(all)).toBe('from-header');
    expect(handshakeToken({ ...all, headers: { cookie: 'token=from-cookie' } })).toBe(
      'from-cookie',
    );
    expect(handshakeToken({ ...all, headers: { cookie: 'theme=dark' } })).toBe('from-query');
    expect(handshakeToken({ ...all, headers: {} })).toBe('from-query');
    expect(handshakeToken(sources())).toBeUndefined();
  });

  it('never reads auth.token, which arrives only once the engine.io session exists', () => {
    expect(handshakeToken(sources({ auth: { token: 'from-auth' } }))).toBeUndefined();
    expect(handshakeToken(sources({ auth: { token: 'from-auth' }, query: { token: 'q' } }))).toBe(
      'q',
    );
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
