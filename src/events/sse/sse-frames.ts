import type { LaggedEvent, ResyncEvent } from '../events.types.js';

/** Frames of our own, outside the event catalog; they carry no id so resume points stay real. */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const;

export const PING_FRAME = Buffer.from(':ping\n\n');

export function retryFrame(retryMs: number): Buffer {
  return Buffer.from(`retry: ${retryMs}\n\n`);
}

export function laggedFrame(skipped: number): Buffer {
  const data: LaggedEvent = { Lagged: { skipped } };
  return Buffer.from(`event: lagged\ndata: ${JSON.stringify(data)}\n\n`);
}

export function resyncFrame(reason: string): Buffer {
  const data: ResyncEvent = { Resync: { reason } };
  return Buffer.from(`event: resync\ndata: ${JSON.stringify(data)}\n\n`);
}
