import * as fc from 'fast-check';
import {
  eventPacket,
  laggedPacket,
  resyncPacket,
  type SocketPacket,
  websocketTextFrame,
} from './socket-packets.js';

/** Reads one server frame the way RFC 6455 describes it: header bits, length, unmasked payload. */
function readFrame(frame: Buffer): {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
} {
  const fin = (frame[0] & 0x80) !== 0;
  const opcode = frame[0] & 0x0f;
  const masked = (frame[1] & 0x80) !== 0;
  let length = frame[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    length = Number(frame.readBigUInt64BE(2));
    offset = 10;
  }
  expect(frame.length).toBe(offset + length);
  return { fin, opcode, masked, payload: frame.subarray(offset) };
}

/** The Socket.IO event a client decodes from the packet's text. */
function decode(packet: SocketPacket): unknown[] {
  expect(packet.text.startsWith('2[')).toBe(true);
  return JSON.parse(packet.text.slice(1)) as unknown[];
}

describe('websocketTextFrame', () => {
  it.each([0, 1, 125, 126, 127, 65535, 65536, 70000])(
    'frames a payload of %i bytes with the length encoding RFC 6455 asks for',
    (size) => {
      const payload = Buffer.alloc(size, 'a');
      const frame = websocketTextFrame(payload);
      const headerLength = size < 126 ? 2 : size < 65536 ? 4 : 10;
      expect(frame.length).toBe(headerLength + size);
      const read = readFrame(frame);
      expect(read).toMatchObject({ fin: true, opcode: 1, masked: false });
      expect(read.payload.equals(payload)).toBe(true);
    },
  );

  it('keeps any payload intact', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (bytes) => {
        const payload = Buffer.from(bytes);
        expect(readFrame(websocketTextFrame(payload)).payload.equals(payload)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe('eventPacket', () => {
  it('carries the name, the data as given and the id, and the frame carries the engine.io message', () => {
    const data = '{"Medias":{"library":"l1","medias":[]}}';
    const packet = eventPacket('medias', 42, data);
    expect(decode(packet)).toEqual(['medias', JSON.parse(data), 42]);
    const [frame] = packet.options.wsPreEncodedFrame;
    expect(readFrame(frame).payload.toString()).toBe(`4${packet.text}`);
    expect(packet.size).toBe(frame.length);
  });

  it('round-trips any JSON data, whatever characters it holds', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 2 ** 50 }), (value, id) => {
        const data = JSON.stringify({ Tags: value });
        const packet = eventPacket('tags', id, data);
        expect(decode(packet)).toEqual(['tags', JSON.parse(data), id]);
        const payload = readFrame(packet.options.wsPreEncodedFrame[0]).payload;
        expect(payload.toString('utf8')).toBe(`4${packet.text}`);
      }),
      { numRuns: 200 },
    );
  });
});

describe('notices', () => {
  it('lagged and resync carry their message and no id', () => {
    expect(decode(laggedPacket(7))).toEqual(['lagged', { Lagged: { skipped: 7 } }]);
    expect(decode(resyncPacket('reload "now"'))).toEqual([
      'resync',
      { Resync: { reason: 'reload "now"' } },
    ]);
  });
});
