import type { ReceivedEvent, RecordingEventSource } from './sse-client.js';

/** The first event of `stream` that matches `predicate`, waiting for it up to `timeoutMs`. */
export async function waitForEvent(
  stream: RecordingEventSource,
  predicate: (event: ReceivedEvent) => boolean,
  timeoutMs = 10_000,
): Promise<ReceivedEvent> {
  const found = stream.events.find(predicate);
  if (found) return found;
  if (timeoutMs <= 0) {
    throw new Error(`no matching event among ${JSON.stringify(stream.events).slice(0, 2000)}`);
  }
  const started = Date.now();
  await stream.waitFor(stream.events.length + 1, timeoutMs).catch(() => undefined);
  return waitForEvent(stream, predicate, timeoutMs - (Date.now() - started));
}
