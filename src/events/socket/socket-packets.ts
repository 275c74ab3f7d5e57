import type { LaggedEvent, ResyncEvent } from '../events.types.js';
import type { FrameEncoder } from '../stream-connection.js';

/**
 * One Socket.IO packet, encoded once and written as-is to every socket that gets it.
 *
 * The Socket.IO protocol writes an event of the default namespace as `2` followed by the JSON
 * array of its name and arguments; engine.io sends that as a message (`4` + text). The event's
 * `data` is already JSON, so the packet is spliced around it rather than re-serialised, and the
 * WebSocket frame is built here too: engine.io's websocket transport sends `wsPreEncodedFrame`
 * unchanged (the same shortcut Socket.IO's own broadcasts take), and polling sends `text`.
 */
export interface SocketPacket {
  readonly text: string;
  /** The WebSocket frame carrying it as an engine.io message. */
  readonly frame: Buffer;
  /** Bytes it takes on the wire, counted against a socket's queue bound. */
  readonly size: number;
  /** engine.io sets `compress` on the options it gets; giving its default keeps them shared. */
  readonly options: { readonly compress: true; readonly wsPreEncodedFrame: readonly Buffer[] };
}

/** `socket.emit(name, data, id)`: a client handler receives `(data, id)`. */
export function eventPacket(name: string, id: number, data: string): SocketPacket {
  return packet(`2[${JSON.stringify(name)},${data},${id}]`);
}

/** Our notices carry no id, as on SSE, so that a client's resume point stays a real event. */
export function laggedPacket(skipped: number): SocketPacket {
  const data: LaggedEvent = { Lagged: { skipped } };
  return packet(`2["lagged",${JSON.stringify(data)}]`);
}

export function resyncPacket(reason: string): SocketPacket {
  const data: ResyncEvent = { Resync: { reason } };
  return packet(`2["resync",${JSON.stringify(data)}]`);
}

function packet(text: string): SocketPacket {
  const frame = websocketTextFrame(Buffer.from(`4${text}`));
  return {
    text,
    frame,
    size: frame.length,
    options: { compress: true, wsPreEncodedFrame: [frame] },
  };
}

/** Socket.IO packets; engine.io keeps the connection alive with its own ping. */
export const socketEncoder: FrameEncoder<SocketPacket> = {
  event: (event, variant) => eventPacket(event.name, event.id, variant.data),
  lagged: laggedPacket,
  resync: resyncPacket,
  opening: undefined,
  // socket.io-client reconnects by itself, after its own randomized delay, once its transport closes.
  reconnect: undefined,
  keepalive: undefined,
  sizeOf: (encoded) => encoded.size,
};

const FIN_TEXT = 0x81;

/** A final, unmasked, uncompressed text frame (RFC 6455, section 5.2), as a server sends it. */
export function websocketTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN_TEXT;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
