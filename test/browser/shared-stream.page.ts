// A page of the browser tests: a ReelayClient on the page's origin (the API's), recording what
// it receives for the test to read as `globalThis.seen`.
import { ReelayClient } from '../../packages/client/src/index.js';
import type { SeenByPage } from './page-records.js';

const seen: SeenByPage = { ids: [], tags: [] };
const client = new ReelayClient({ backoff: { initialDelayMs: 100, maxDelayMs: 1000 } });
client.on('tags', (data, id) => {
  if (id !== undefined) seen.ids.push(id);
  seen.tags.push(...data.Tags.tags.map(({ tag }) => tag.name));
});
client.onStatus((status) => (seen.status = status));
client.start();
Object.assign(globalThis, { seen });
