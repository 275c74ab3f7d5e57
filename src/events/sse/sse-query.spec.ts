import { BadRequestException } from '@nestjs/common';
import {
  MAX_FILTER_LIBRARIES,
  MAX_LIBRARY_ID_LENGTH,
  parseLastEventId,
  parseLibraryFilter,
} from './sse-query.js';

const ids = (count: number, prefix = 'l') =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`);

describe('parseLibraryFilter', () => {
  it('reads an absent parameter as every library', () => {
    expect(parseLibraryFilter(undefined)).toBeNull();
  });

  it('splits on commas, trims, and ignores duplicates and empty parts', () => {
    expect(parseLibraryFilter(' a , b,a ,,c ')).toEqual(new Set(['a', 'b', 'c']));
  });

  it('reads repeated parameters as one list', () => {
    expect(parseLibraryFilter(['a,b', ' c', 'a'])).toEqual(new Set(['a', 'b', 'c']));
  });

  it.each(['', ' ', ',', ' , ,'])('refuses a value that names no library: %j', (raw) => {
    expect(() => parseLibraryFilter(raw)).toThrow(BadRequestException);
  });

  it('accepts exactly the maximum number of ids, duplicates not counted', () => {
    const list = ids(MAX_FILTER_LIBRARIES);
    expect(parseLibraryFilter([...list, ...list].join(','))?.size).toBe(MAX_FILTER_LIBRARIES);
  });

  it('refuses one id more than the maximum', () => {
    expect(() => parseLibraryFilter(ids(MAX_FILTER_LIBRARIES + 1).join(','))).toThrow(
      /at most 1000/,
    );
    expect(() => parseLibraryFilter([ids(MAX_FILTER_LIBRARIES).join(','), 'one-more'])).toThrow(
      BadRequestException,
    );
  });

  it('accepts an id of the maximum length and refuses a longer one', () => {
    const longest = 'x'.repeat(MAX_LIBRARY_ID_LENGTH);
    expect(parseLibraryFilter(longest)).toEqual(new Set([longest]));
    expect(() => parseLibraryFilter(`a,${longest}y`)).toThrow(/longer than 128/);
  });

  it.each([[{ a: '1' }], [['a', { b: '1' }]], [42]])(
    'refuses a parameter that is not text: %j',
    (raw) => {
      expect(() => parseLibraryFilter(raw)).toThrow(BadRequestException);
    },
  );
});

describe('parseLastEventId', () => {
  it('takes the header, else the query, and neither means no resume', () => {
    expect(parseLastEventId('5', undefined)).toBe(5);
    expect(parseLastEventId(undefined, '7')).toBe(7);
    expect(parseLastEventId('5', '7')).toBe(5);
    expect(parseLastEventId(undefined, undefined)).toBeUndefined();
    expect(parseLastEventId('', undefined)).toBeUndefined();
  });

  it('accepts surrounding spaces, zero and up to 15 digits', () => {
    expect(parseLastEventId(' 12 ', undefined)).toBe(12);
    expect(parseLastEventId('0', undefined)).toBe(0);
    expect(parseLastEventId(undefined, '999999999999999')).toBe(999_999_999_999_999);
  });

  it.each(['abc', '-1', '1.5', '1e3', '0x10', '+3', '1 2', '9999999999999999', ' '])(
    'refuses %j, in the header and in the query',
    (raw) => {
      expect(() => parseLastEventId(raw, undefined)).toThrow(BadRequestException);
      expect(() => parseLastEventId(undefined, raw)).toThrow(BadRequestException);
    },
  );

  it('refuses a repeated query parameter', () => {
    expect(() => parseLastEventId(undefined, ['1', '2'])).toThrow(BadRequestException);
  });
});
