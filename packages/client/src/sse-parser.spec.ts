import { type SseMessage, SseParser } from './sse-parser.js';

function parse(...pieces: string[]): { messages: SseMessage[]; retries: number[] } {
  const messages: SseMessage[] = [];
  const retries: number[] = [];
  const parser = new SseParser({
    message: (message) => messages.push(message),
    retry: (ms) => retries.push(ms),
  });
  for (const piece of pieces) parser.feed(piece);
  return { messages, retries };
}

describe('SseParser', () => {
  it('reads the frames Reelay writes: event, id, data, then an empty line', () => {
    const { messages } = parse('event: medias\nid: 42\ndata: {"Medias":{}}\n\n');
    expect(messages).toEqual([
      { event: 'medias', data: '{"Medias":{}}', id: '42', lastEventId: '42' },
    ]);
  });

  it('reassembles an event cut anywhere, a CRLF split between two pieces included', () => {
    const frame = 'event: tags\r\nid: 7\r\ndata: {"a":1}\r\n\r\n';
    for (let cut = 1; cut < frame.length; cut++) {
      const { messages } = parse(frame.slice(0, cut), frame.slice(cut));
      expect(messages).toEqual([{ event: 'tags', data: '{"a":1}', id: '7', lastEventId: '7' }]);
    }
  });

  it('accepts CR alone as a line end, and joins data lines with LF', () => {
    const { messages } = parse('data: a\rdata: b\r\r');
    expect(messages).toEqual([{ event: 'message', data: 'a\nb', lastEventId: '' }]);
  });

  it('drops comments such as the keepalive, and events without data', () => {
    const { messages } = parse(':ping\n\n', 'event: lagged\n\n', 'event: x\ndata\n\n');
    expect(messages).toEqual([{ event: 'x', data: '', lastEventId: '' }]);
  });

  it('keeps the last id for the events after it, and ignores an id holding NUL', () => {
    const { messages } = parse('id: 3\ndata: a\n\ndata: b\n\nid: 4\0\ndata: c\n\n');
    expect(messages.map((message) => message.lastEventId)).toEqual(['3', '3', '3']);
    expect(messages.map((message) => message.id)).toEqual(['3', undefined, undefined]);
  });

  it('reports retry only for digits, strips one leading BOM, and drops an unfinished event', () => {
    const { messages, retries } = parse('\uFEFFretry: 3000\nretry: 1s\ndata: x\n\n', 'data: y\n');
    expect(retries).toEqual([3000]);
    expect(messages).toEqual([{ event: 'message', data: 'x', lastEventId: '' }]);
  });

  it('takes the value after the first colon, with one space removed', () => {
    const { messages } = parse('data:  two: colons\n\n');
    expect(messages[0]?.data).toBe(' two: colons');
  });
});
