// A page of test/client-session-browser.e2e-spec.ts: signs in with a ReelaySession (the
// credentials, and whether tabs share the stream, come in the URL's fragment, which never
// reaches a server) and streams with it, recording what it receives and each token's expiry.
import { ReelayClient, ReelaySession } from '../../packages/client/src/index.js';
import type { SeenBySessionPage } from './page-records.js';

const seen: SeenBySessionPage = { ids: [], tags: [], states: [], expiries: [] };
Object.assign(globalThis, { seen });

const { username, password, share } = JSON.parse(decodeURIComponent(location.hash.slice(1))) as {
  username: string;
  password: string;
  share?: boolean;
};
const session = new ReelaySession();
await session.login(username, password);
const client = new ReelayClient({
  session,
  share: share ?? false,
  backoff: { initialDelayMs: 100 },
});
client.on('tags', (data, id) => {
  if (id !== undefined) seen.ids.push(id);
  seen.tags.push(...data.Tags.tags.map(({ tag }) => tag.name));
});
client.onStatus(({ state }) => {
  if (seen.states.at(-1) !== state) seen.states.push(state);
  const expiry = session.expiresAt;
  if (expiry !== undefined && seen.expiries.at(-1) !== expiry) seen.expiries.push(expiry);
});
client.start();
