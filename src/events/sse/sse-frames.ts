import type { LaggedEvent, ResyncEvent } from '../events.types.js';
import { type WireForms, wireForms } from '../http-chunk.js';

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const;

/** Frames of our own, outside the event catalog; they carry no id so resume points stay real. */
export const PING: WireForms = wireForms(':ping\n\n');

export function retryFrame(retryMs: number): WireForms {
  return wireForms(`retry: ${retryMs}\n\n`);
}

export function laggedNotice(skipped: number): WireForms {
  const data: LaggedEvent = { Lagged: { skipped } };
  return wireForms(`event: lagged\ndata: ${JSON.stringify(data)}\n\n`);
}

export function resyncNotice(reason: string): WireForms {
  const data: ResyncEvent = { Resync: { reason } };
  return wireForms(`event: resync\ndata: ${JSON.stringify(data)}\n\n`);
}
