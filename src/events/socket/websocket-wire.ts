import type { Socket as NetSocket } from 'node:net';
import type { Socket } from 'socket.io';

/** `ws`'s readyState of an open websocket (WebSocket.OPEN). */
const WEBSOCKET_OPEN = 1;

/** engine.io's connection under a Socket.IO socket. */
export type EngineConnection = Socket['conn'];

/**
 * What the fast path reads of engine.io's session and of its `ws` socket, beyond their typings
 * (engine.io's own websocket transport reaches into `ws` the same way for pre-encoded frames).
 */
interface EngineInternals {
  readyState: string;
  writeBuffer?: readonly unknown[];
  transport: { name: string; socket?: { readyState?: number; _socket?: unknown } };
}

function isWritableSocket(value: unknown): value is NetSocket {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NetSocket).write === 'function' &&
    typeof (value as NetSocket).cork === 'function' &&
    (value as NetSocket).writable
  );
}

/**
 * The TCP socket under an open websocket session that engine.io has nothing waiting to send on:
 * a frame written to it now leaves after everything engine.io sent before, and in one write with
 * the other frames of its batch, without engine.io's and ws's per-packet work (a packet object,
 * six events and a write callback each: a quarter of the server's CPU per delivery when events
 * trickle, measured with the benchmark). Undefined on polling, while upgrading, while engine.io
 * holds packets, and once closing: those packets go through engine.io.
 *
 * Only for sessions without per-message compression, whose frames ws sends as they are.
 */
export function websocketWire(engine: EngineConnection): NetSocket | undefined {
  const internals = engine as unknown as EngineInternals;
  if (
    internals.readyState !== 'open' ||
    internals.transport.name !== 'websocket' ||
    internals.writeBuffer?.length !== 0
  ) {
    return undefined;
  }
  const websocket = internals.transport.socket;
  // A websocket that received or sent a close frame takes no data frame any more.
  if (websocket?.readyState !== WEBSOCKET_OPEN) return undefined;
  // oxlint-disable-next-line no-underscore-dangle -- ws's name for the TCP socket it writes to
  const wire = websocket._socket;
  return isWritableSocket(wire) ? wire : undefined;
}
