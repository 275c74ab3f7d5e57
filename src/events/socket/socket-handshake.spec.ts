import { BadRequestException } from '@nestjs/common';
import { handshakeOptions, type HandshakeSources } from './socket-handshake.js';

const sources = (overrides: Partial<HandshakeSources> = {}): HandshakeSources => ({
  auth: {},
  headers: {},
  query: {},
  ...overrides,
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
