/** One event of a `text/event-stream`, as the HTML standard's parser dispatches it. */
export interface SseMessage {
  event: string;
  data: string;
  /** The event's own `id:` field; events without one (Reelay's `lagged`, `resync`) have none. */
  id?: string;
  /** The stream's last event id once this event arrived: ids carry over to later events. */
  lastEventId: string;
}

export interface SseParserHandlers {
  message(message: SseMessage): void;
  /** A `retry:` field: the reconnection delay the server asks for. */
  retry(ms: number): void;
}

/**
 * An incremental parser of the `text/event-stream` format (HTML standard, "Server-sent events",
 * 9.2.6): text goes in as it arrives, in pieces of any size, and events come out whole. Lines end
 * in CRLF, LF or CR, even when a CRLF is split between two pieces; comments (`:ping`) are dropped;
 * an event is dispatched at an empty line only if it has data.
 */
export class SseParser {
  private pending = '';
  /** The last piece ended in CR: an LF that starts the next one belongs to that line end. */
  private afterCr = false;
  private started = false;
  private eventType = '';
  private data: string[] = [];
  private id: string | undefined;
  private lastEventId = '';

  constructor(private readonly handlers: SseParserHandlers) {}

  feed(text: string): void {
    let chunk = text;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.afterCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.afterCr = false;
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i);
      if (code !== 0x0a && code !== 0x0d) continue;
      this.line(this.pending + chunk.slice(start, i));
      this.pending = '';
      if (code === 0x0d) {
        if (i + 1 === chunk.length) this.afterCr = true;
        else if (chunk.charCodeAt(i + 1) === 0x0a) i++;
      }
      start = i + 1;
    }
    this.pending += chunk.slice(start);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.id = this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.retry(Number(value));
        break;
    }
  }

  private dispatch(): void {
    const { data, eventType, id } = this;
    this.data = [];
    this.eventType = '';
    this.id = undefined;
    if (data.length === 0) return;
    const message: SseMessage = {
      event: eventType === '' ? 'message' : eventType,
      data: data.join('\n'),
      lastEventId: this.lastEventId,
    };
    if (id !== undefined) message.id = id;
    this.handlers.message(message);
  }
}
