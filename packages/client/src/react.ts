import {
  createContext,
  createElement,
  type ReactNode,
  useContext,
  useEffect,
  useRef,
  useSyncExternalStore,
} from 'react';
import type { EventHandler, ReelayClient, ReelayStatus, StreamEventName } from './reelay-client.js';

const ReelayContext = createContext<ReelayClient | null>(null);

/** Gives the components below the client, and keeps its stream open while it is mounted. */
export function ReelayProvider(props: { client: ReelayClient; children?: ReactNode }): ReactNode {
  const { client } = props;
  useEffect(() => {
    client.start();
    return () => client.close();
  }, [client]);
  return createElement(ReelayContext.Provider, { value: client }, props.children);
}

/** The client of the nearest ReelayProvider. */
export function useReelayClient(): ReelayClient {
  const client = useContext(ReelayContext);
  if (!client) throw new Error('useReelayClient needs a <ReelayProvider client={...}> above it');
  return client;
}

/**
 * Calls `handler` for every event of the given name(s) while the component is mounted. The
 * latest handler is called: it may close over state without being memoised.
 */
export function useReelayEvents<N extends StreamEventName>(
  names: N | readonly N[],
  handler: EventHandler<N>,
): void {
  const client = useReelayClient();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  const key = typeof names === 'string' ? names : names.join('\n');
  useEffect(() => {
    const list = key.split('\n') as N[];
    const stops = list.map((name) =>
      client.on(name, (data, id) => latest.current(data as never, id)),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }, [client, key]);
}

/** The connection's status, re-rendering on every change: for a connection indicator. */
export function useReelayStatus(): ReelayStatus {
  const client = useReelayClient();
  return useSyncExternalStore(
    (changed) => client.onStatus(changed),
    () => client.status,
    () => client.status,
  );
}
