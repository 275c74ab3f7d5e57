import type { SseEvent } from '../../packages/client/src/index.js';

/** What the conformance page's probe of `useSse` recorded, read by the test as `hookSeen`. */
export interface HookSeen {
  events: { eventName: string; data: SseEvent }[];
  connected: boolean[];
}
