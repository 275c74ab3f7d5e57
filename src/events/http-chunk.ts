/**
 * A frame in both of its wire forms, from one allocation: `chunk` is the frame as one
 * HTTP/1.1 chunk (`<size in hex>\r\n<frame>\r\n`), and `frame` the bytes inside it. SSE
 * connections write the chunk straight to their socket, so that each delivery is one prebuilt
 * buffer, shared by every connection, with no framing work per connection.
 */
export interface WireForms {
  readonly frame: Buffer;
  readonly chunk: Buffer;
}

export function wireForms(frameText: string): WireForms {
  const length = Buffer.byteLength(frameText);
  const head = `${length.toString(16)}\r\n`;
  const chunk = Buffer.from(`${head}${frameText}\r\n`);
  return { frame: chunk.subarray(head.length, head.length + length), chunk };
}
