/**
 * Scanners for a byte stream that arrives in chunks split anywhere. Each one searches every
 * chunk with the native `indexOf` and looks at the seam between two chunks through a small
 * window (the end of the stream so far followed by the start of the new chunk), so that no
 * match is missed or counted twice whatever the split.
 */

/**
 * The end of the stream so far, kept to be read together with the start of the next chunk: the
 * only place where a match split between two chunks can be seen.
 */
class StreamSeam {
  private readonly bytes: Buffer;
  /** Bytes of the stream's end kept at the start of `bytes`. */
  tailLength = 0;

  constructor(private readonly keep: number) {
    this.bytes = Buffer.alloc(2 * keep);
  }

  /** The kept tail followed by the start of `chunk`; empty when nothing was kept. */
  window(chunk: Buffer): Buffer {
    if (this.tailLength === 0) return EMPTY;
    const headLength = Math.min(this.keep, chunk.length);
    chunk.copy(this.bytes, this.tailLength, 0, headLength);
    return this.bytes.subarray(0, this.tailLength + headLength);
  }

  /** Keeps the last `keep` bytes of the stream, `chunk` being its newest part. */
  keepTail(chunk: Buffer): void {
    const { keep, bytes } = this;
    if (keep === 0) return;
    if (chunk.length >= keep) {
      chunk.copy(bytes, 0, chunk.length - keep);
      this.tailLength = keep;
      return;
    }
    const total = Math.min(keep, this.tailLength + chunk.length);
    const fromOld = total - chunk.length;
    bytes.copy(bytes, 0, this.tailLength - fromOld, this.tailLength);
    chunk.copy(bytes, fromOld);
    this.tailLength = total;
  }
}

const EMPTY = Buffer.alloc(0);

/** Counts the occurrences of a byte pattern, e.g. `\nid: ` for SSE event frames. */
export class PatternCounter {
  private readonly pattern: Buffer;
  private readonly seam: StreamSeam;

  constructor(pattern: string) {
    this.pattern = Buffer.from(pattern, 'latin1');
    this.seam = new StreamSeam(this.pattern.length - 1);
  }

  /** The occurrences that end in `chunk`. */
  count(chunk: Buffer): number {
    const { pattern, seam } = this;
    let found = 0;
    const window = seam.window(chunk);
    for (let at = window.indexOf(pattern); at !== -1 && at < seam.tailLength;) {
      found++;
      at = window.indexOf(pattern, at + 1);
    }
    for (let at = chunk.indexOf(pattern); at !== -1;) {
      found++;
      at = chunk.indexOf(pattern, at + pattern.length);
    }
    seam.keepTail(chunk);
    return found;
  }
}

const NUMBER_BYTES = new Uint8Array(256);
for (const char of '0123456789.-+eE') NUMBER_BYTES[char.charCodeAt(0)] = 1;

/** The longest number the scanner reads; a longer one is not a number we wrote. */
const MAX_NUMBER_LENGTH = 32;

/**
 * Finds a JSON number after a fixed key, e.g. `"sentAt":`, and hands each value to a callback.
 * A value counts once the byte after it has arrived, so a number split by a chunk is read whole.
 */
export class NumberFieldScanner {
  private readonly key: Buffer;
  private readonly seam: StreamSeam;

  constructor(key: string) {
    this.key = Buffer.from(key, 'latin1');
    this.seam = new StreamSeam(this.key.length + MAX_NUMBER_LENGTH);
  }

  /** Calls `onValue` for each value completed by `chunk`; returns how many there were. */
  scan(chunk: Buffer, onValue: (value: number) => void): number {
    const { key, seam } = this;
    let found = 0;
    const window = seam.window(chunk);
    for (let at = window.indexOf(key); at !== -1 && at < seam.tailLength;) {
      const end = numberEnd(window, at + key.length);
      // Ended inside the old tail: read with the chunk before. Not ended yet: wait for more.
      if (end >= seam.tailLength && end < window.length) {
        onValue(readNumber(window, at + key.length, end));
        found++;
      }
      at = window.indexOf(key, at + 1);
    }
    for (let at = chunk.indexOf(key); at !== -1;) {
      const start = at + key.length;
      const end = numberEnd(chunk, start);
      if (end < chunk.length) {
        onValue(readNumber(chunk, start, end));
        found++;
      }
      at = chunk.indexOf(key, start);
    }
    seam.keepTail(chunk);
    return found;
  }
}

/** The index of the first byte after the number that starts at `start` (at most the length). */
function numberEnd(bytes: Buffer, start: number): number {
  const limit = Math.min(bytes.length, start + MAX_NUMBER_LENGTH);
  let end = start;
  while (end < limit && NUMBER_BYTES[bytes[end]] === 1) end++;
  return end === limit && limit < bytes.length ? bytes.length : end;
}

function readNumber(bytes: Buffer, start: number, end: number): number {
  return Number(bytes.toString('latin1', start, end));
}
