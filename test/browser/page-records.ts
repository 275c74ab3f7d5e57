import type { ReelayStatus } from '../../packages/client/src/index.js';

/** What the shared-stream page recorded, read by the tests as `seen`. */
export interface SeenByPage {
  ids: number[];
  tags: string[];
  status?: ReelayStatus;
}

/** What the session page recorded, read by the test as `seen`. */
export interface SeenBySessionPage {
  ids: number[];
  tags: string[];
  states: string[];
  /** Each access token's expiry (epoch ms) the session held when the stream's state changed. */
  expiries: number[];
}
