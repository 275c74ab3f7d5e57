import { wireForms } from './http-chunk.js';

describe('wireForms', () => {
  it('frames the bytes as one HTTP/1.1 chunk, sized in bytes, and shows the frame inside it', () => {
    const text = 'event: tags\nid: 7\ndata: {"name":"Zoë 🎬"}\n\n';
    const { frame, chunk } = wireForms(text);
    const size = Buffer.byteLength(text);
    expect(size).toBeGreaterThan(text.length);
    expect(frame.toString()).toBe(text);
    expect(chunk.toString()).toBe(`${size.toString(16)}\r\n${text}\r\n`);
    expect(frame.buffer).toBe(chunk.buffer);
  });
});
