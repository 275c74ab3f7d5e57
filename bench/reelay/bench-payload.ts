import type { MediasMessage } from '../../src/events/events.types.js';

/** The shape of every benchmark event, so that each server under test sends the same bytes. */
const TEMPLATE_SEQUENCE = 1_000_000;
const TEMPLATE_SENT_AT = 1_700_000_000_000.123;

/** A clock shared by every process of the machine, with sub-millisecond resolution. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * One `medias` message for a benchmark: a media `Added` to `library`, padded by `padding`,
 * carrying `sentAt` (see `wallClockMs`) so that a receiver can measure the latency.
 */
export function benchMediasMessage(
  library: string,
  sequence: number,
  padding: string,
  sentAt: number,
): MediasMessage {
  return {
    library,
    medias: [
      {
        action: 'Added',
        media: {
          id: `bench-${sequence}`,
          library,
          name: `clip-${sequence}.mp4`,
          mimetype: 'video/mp4',
          size: 1_048_576,
          modified: 1_700_000_000_000,
          added: 1_700_000_000_000,
          updated: 1_700_000_000_000,
          origin: 'metadata',
          description: padding,
          sentAt,
        },
      },
    ],
  };
}

/** The padding that brings the `data` line of a benchmark event to about `size` bytes. */
export function paddingFor(size: number, library: string): string {
  const bare = JSON.stringify({
    Medias: benchMediasMessage(library, TEMPLATE_SEQUENCE, '', TEMPLATE_SENT_AT),
  });
  return 'x'.repeat(Math.max(0, size - bare.length));
}
