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

/** Resolves with the first recorded event that matches, as soon as it has arrived. */
export function waitForEvent(
  stream: RecordingEventSource,
  match: (event: ReceivedEvent) => boolean,
  timeoutMs = 10_000,
): Promise<ReceivedEvent> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = stream.events.find(match);
      if (!found) return;
      clearInterval(poll);
      clearTimeout(deadline);
      resolve(found);
    };
    const poll = setInterval(check, 10);
    const deadline = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`no matching event among ${JSON.stringify(stream.events)}`));
    }, timeoutMs);
    check();
  });
}
