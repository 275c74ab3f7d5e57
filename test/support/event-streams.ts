import { RecordingEventSource, type ReceivedEvent } from './sse-client.js';
import type { TestApp, TestUser } from './test-app.js';

/** Opens a real EventSource for `user`, recording the given event names, once connected. */
export async function openStream(
  t: TestApp,
  user: TestUser,
  eventNames: readonly string[],
): Promise<RecordingEventSource> {
  const stream = new RecordingEventSource(`${t.baseUrl}/sse?token=${user.token}`, eventNames);
  await stream.opened();
  return stream;
}

/**
 * Proves a stream received nothing before `sentinel`: the caller triggers an event the user may
 * see, and that event alone must be the first one recorded.
 */
export async function expectOnlySentinel(
  stream: RecordingEventSource,
  sentinel: (event: ReceivedEvent) => boolean,
): Promise<void> {
  const [first] = await stream.waitFor(1);
  if (!sentinel(first) || stream.events.length !== 1) {
    throw new Error(`expected only the sentinel event, got ${JSON.stringify(stream.events)}`);
  }
}
