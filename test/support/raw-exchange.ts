import { connect, type Socket } from 'node:net';

export interface RawExchange {
  socket: Socket;
  /** Every byte of the answer so far, as latin1 (one character per byte). */
  received: string;
  ended: boolean;
  closed: boolean;
}

/** A raw connection that sends `request` as is and records every byte of the answer. */
export async function rawExchange(baseUrl: string, request: string): Promise<RawExchange> {
  const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const exchange: RawExchange = { socket, received: '', ended: false, closed: false };
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (exchange.received += chunk));
  socket.on('end', () => (exchange.ended = true));
  socket.on('close', () => (exchange.closed = true));
  socket.on('error', () => undefined);
  socket.write(request);
  return exchange;
}

/** Waits until `condition` holds, looking every 10 ms; throws naming `what` after the timeout. */
export async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line no-await-in-loop -- one look at a time
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A `GET /sse` request as raw bytes, authenticated with `token`. */
export const streamRequest = (token: string, version = '1.1', extra = '') =>
  `GET /sse HTTP/${version}\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${extra}\r\n`;

/** The path of an engine.io handshake (a request without `sid`), with `query` added. */
export const engineHandshakePath = (
  transport: 'polling' | 'websocket',
  query: Record<string, string> = {},
) => `/socket.io/?${new URLSearchParams({ EIO: '4', transport, ...query }).toString()}`;

/** A websocket upgrade request for `path` as raw bytes. */
export const upgradeRequest = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
