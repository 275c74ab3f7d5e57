// A page of test/client-react-browser.e2e-spec.ts: the client's React hooks in a StrictMode app,
// rendering the connection state and the tags received.
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ReelayClient } from '../../packages/client/src/index.js';
import {
  ReelayProvider,
  useReelayEvents,
  useReelayStatus,
} from '../../packages/client/src/react.js';

function Feed() {
  const [names, setNames] = useState<string[]>([]);
  const status = useReelayStatus();
  useReelayEvents('tags', (data) =>
    setNames((current) => [...current, ...data.Tags.tags.map(({ tag }) => tag.name)]),
  );
  return (
    <main>
      <p role="status">{status.state}</p>
      <ul aria-label="tags">
        {names.map((name, index) => (
          <li key={index}>{name}</li>
        ))}
      </ul>
    </main>
  );
}

const client = new ReelayClient({ share: false });
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ReelayProvider client={client}>
      <Feed />
    </ReelayProvider>
  </StrictMode>,
);
