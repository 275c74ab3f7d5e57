/**
 * How to answer a `Range` header for a file of a known size (RFC 9110, section 14):
 * - `full`: no usable range; send the whole file with 200 (absent header, another unit, a
 *   malformed value, or several ranges, which a server may answer in full);
 * - `partial`: send bytes `start`..`end` (both inclusive) with 206;
 * - `unsatisfiable`: answer 416 with `Content-Range: bytes *\/size`.
 */
export type RangeDecision =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

const SINGLE_BYTE_RANGE = /^bytes=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;

export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const match = SINGLE_BYTE_RANGE.exec(header.trim());
  if (!match) return { kind: 'full' };
  const [, first, last] = match;
  if (first === '' && last === '') return { kind: 'full' };
  // Positions past any file's size, however many digits, are clamped to the size below.
  const start = first === '' ? undefined : Number(first);
  const end = last === '' ? undefined : Number(last);
  if (start === undefined) {
    // A suffix range: the last `end` bytes.
    const length = end as number;
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  if (start >= size || (end !== undefined && end < start)) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: end === undefined ? size - 1 : Math.min(end, size - 1) };
}

export function contentRange(decision: RangeDecision, size: number): string | undefined {
  if (decision.kind === 'partial') return `bytes ${decision.start}-${decision.end}/${size}`;
  if (decision.kind === 'unsatisfiable') return `bytes */${size}`;
  return undefined;
}

/**
 * Whether an `If-Range` precondition lets the `Range` header apply (RFC 9110, 13.1.5): it must
 * name the current strong ETag or the exact Last-Modified date; otherwise the whole file goes.
 */
export function ifRangeAllows(
  ifRange: string | undefined,
  etag: string,
  lastModified: string,
): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    return value === etag && !etag.startsWith('W/');
  }
  return value === lastModified;
}
