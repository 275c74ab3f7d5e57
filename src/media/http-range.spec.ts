import * as fc from 'fast-check';
import { contentRange, decideRange, ifRangeAllows } from './http-range.js';

describe('decideRange', () => {
  it('serves the whole file without a header', () => {
    expect(decideRange(undefined, 100)).toEqual({ kind: 'full' });
  });

  it.each([
    ['bytes=0-9', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=10-', { kind: 'partial', start: 10, end: 99 }],
    ['bytes=-5', { kind: 'partial', start: 95, end: 99 }],
    ['bytes=-500', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=90-500', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=99-99', { kind: 'partial', start: 99, end: 99 }],
    ['BYTES= 1 - 2 ', { kind: 'partial', start: 1, end: 2 }],
    // RFC 9110: a last position past the end means the end, however many digits it has.
    ['bytes=0-99999999999999999999', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=-99999999999999999999', { kind: 'partial', start: 0, end: 99 }],
    [`bytes=5-${'9'.repeat(400)}`, { kind: 'partial', start: 5, end: 99 }],
  ])('reads %s on a 100-byte file', (header, expected) => {
    expect(decideRange(header, 100)).toEqual(expected);
  });

  it.each(['bytes=100-', 'bytes=100-200', 'bytes=-0', 'bytes=5-4', 'bytes=99999999999999999999-'])(
    'refuses %s on a 100-byte file',
    (header) => {
      expect(decideRange(header, 100)).toEqual({ kind: 'unsatisfiable' });
    },
  );

  it('finds no satisfiable range in an empty file', () => {
    expect(decideRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it.each(['items=0-9', 'bytes=abc', 'bytes=-', 'bytes=0-1,5-6', 'bytes 0-9', ''])(
    'ignores %p and serves the whole file',
    (header) => {
      expect(decideRange(header, 100)).toEqual({ kind: 'full' });
    },
  );

  it('always yields a range inside the file', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.option(fc.integer({ min: 0, max: 2e12 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 2e12 }), { nil: undefined }),
        (size, first, last) => {
          const decision = decideRange(`bytes=${first ?? ''}-${last ?? ''}`, size);
          const inside =
            decision.kind !== 'partial' ||
            (decision.start >= 0 && decision.start <= decision.end && decision.end < size);
          expect(inside).toBe(true);
        },
      ),
    );
  });
});

describe('contentRange', () => {
  it('describes a partial and an unsatisfiable answer', () => {
    expect(contentRange({ kind: 'partial', start: 0, end: 9 }, 100)).toBe('bytes 0-9/100');
    expect(contentRange({ kind: 'unsatisfiable' }, 100)).toBe('bytes */100');
    expect(contentRange({ kind: 'full' }, 100)).toBeUndefined();
  });
});

describe('ifRangeAllows', () => {
  const etag = '"64-18c"';
  const lastModified = 'Sat, 28 Nov 2026 06:57:00 GMT';

  it('lets the range apply when the validator still matches', () => {
    expect(ifRangeAllows(undefined, etag, lastModified)).toBe(true);
    expect(ifRangeAllows('"64-18c"', etag, lastModified)).toBe(true);
    expect(ifRangeAllows(lastModified, etag, lastModified)).toBe(true);
  });

  it('sends the whole file when the file changed or the validator is weak', () => {
    expect(ifRangeAllows('"65-18c"', etag, lastModified)).toBe(false);
    expect(ifRangeAllows('W/"64-18c"', etag, lastModified)).toBe(false);
    expect(ifRangeAllows('Sun, 29 Nov 2026 06:57:00 GMT', etag, lastModified)).toBe(false);
  });
});
