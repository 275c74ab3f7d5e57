// The page of test/conformance-browser.e2e-spec.ts: the SseClient example's own usage lines
// (`new SseClient().connect('/sse')`) run as it is imported and log each event to the console;
// the useSse example's MediaLibrary renders its status, and a probe records what the hook gives.
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import type { HookSeen } from './hook-seen.js';
import { client } from './sse-client.example.js';
import { MediaLibrary, useSse } from './use-sse.example.js';

const seen: HookSeen = { events: [], connected: [] };
Object.assign(globalThis, { hookSeen: seen, sseClient: client });

function Probe({ libraryId }: { libraryId: string }) {
  const { isConnected } = useSse({
    libraries: [libraryId],
    onEvent: (eventName, data) => seen.events.push({ eventName, data }),
  });
  useEffect(() => {
    seen.connected.push(isConnected);
  }, [isConnected]);
  return null;
}

const libraryId = decodeURIComponent(location.hash.slice(1));
createRoot(document.getElementById('root')!).render(
  <>
    <MediaLibrary libraryId={libraryId} />
    <Probe libraryId={libraryId} />
  </>,
);
