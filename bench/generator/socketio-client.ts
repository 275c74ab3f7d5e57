import { io } from 'socket.io-client';
import type { LoadState } from './load-state.js';
import type { LoadClient } from './sse-client.js';
import type { ClientMode, ConnectionSpec } from './protocol.js';

interface MediasPayload {
  Medias?: { medias?: { media?: { sentAt?: unknown } }[] };
}

function sentAtOf(payload: unknown): number | undefined {
  const data = (typeof payload === 'string' ? JSON.parse(payload) : payload) as MediasPayload;
  const value = data?.Medias?.medias?.[0]?.media?.sentAt;
  return typeof value === 'number' ? value : undefined;
}

function skippedOf(payload: unknown): number {
  const data = (typeof payload === 'string' ? JSON.parse(payload) : payload) as {
    Lagged?: { skipped?: unknown };
    skipped?: unknown;
  };
  const value = data?.Lagged?.skipped ?? data?.skipped;
  return typeof value === 'number' ? value : 0;
}

/** One Socket.IO client over WebSocket only, its own connection (no multiplexing). */
export function openSocketIoClient(
  port: number,
  spec: ConnectionSpec,
  mode: ClientMode,
  state: LoadState,
  settled: (error?: string) => void,
): LoadClient {
  const url = new URL(spec.path, `http://127.0.0.1:${port}`);
  const socket = io(url.origin, {
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: 60_000,
    // As the SSE clients send it: the engine.io handshake itself must carry the token.
    extraHeaders: spec.token === undefined ? undefined : { authorization: `Bearer ${spec.token}` },
  });
  let opened = false;
  let finished = false;
  const settle = (error?: string) => {
    if (finished) return;
    finished = true;
    settled(error);
  };

  socket.on('connect', () => {
    opened = true;
    state.open++;
    settle();
  });
  socket.on('connect_error', (error) => settle(error.message));
  socket.on('disconnect', () => {
    if (opened) {
      opened = false;
      state.open--;
      state.lost++;
    }
  });
  socket.onAny((event: string, payload: unknown) => {
    if (event === 'lagged') return state.addSkipped(skippedOf(payload));
    if (mode === 'latency') {
      const sentAt = sentAtOf(payload);
      if (sentAt !== undefined) state.addSentAt(sentAt, state.now());
    }
    state.addFrames(1);
  });

  return {
    close() {
      if (opened) {
        opened = false;
        state.open--;
      }
      socket.disconnect();
    },
  };
}
