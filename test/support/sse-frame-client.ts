import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

/** One SSE frame as the server wrote it, and its fields. */
export interface SseFrame {
  /** The frame's exact text, without the blank line that ends it. */
  text: string;
  event?: string;
  id?: string;
  data?: string;
  retry?: string;
  comment?: string;
}

export interface SseFrameClientOptions {
  headers?: Record<string, string>;
  /** How much the socket reads ahead of a paused reader before the kernel buffers fill. */
  highWaterMark?: number;
}

type ParseState =
  | { at: 'head' }
  | { at: 'chunk-size' }
  | { at: 'chunk-data'; left: number }
  | { at: 'chunk-end'; left: number }
  | { at: 'body'; left: number }
  | { at: 'done' };

/**
 * A raw HTTP/1.1 `GET` that parses the response incrementally, so that megabytes of frames stay
 * cheap: status and headers as sent, then each SSE frame as it completes. Can stop reading
 * (`pause`) to play a client that fell behind.
 */
export class SseFrameClient {
  status = 0;
  /** Header names in lower case, values as sent. */
  readonly headers: Record<string, string> = {};
  readonly frames: SseFrame[] = [];
  /** The body of a response that is not a stream (an error's JSON). */
  body = '';
  /** The server ended the response (its last chunk arrived). */
  ended = false;
  closed = false;
  receivedBytes = 0;

  private state: ParseState = { at: 'head' };
  private pending: Buffer = Buffer.alloc(0);
  private text = '';
  private scanFrom = 0;
  private readonly decoder = new StringDecoder('utf8');
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.parse();
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(
    baseUrl: string,
    path: string,
    options: SseFrameClientOptions = {},
  ): Promise<SseFrameClient> {
    const { hostname, port } = new URL(baseUrl);
    // Sockets are streams and take a highWaterMark; the typings of net.connect leave it out.
    const socket = connect({
      port: Number(port),
      host: hostname,
      highWaterMark: options.highWaterMark,
    } as NetConnectOpts);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Accept: text/event-stream',
    ];
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      lines.push(`${name}: ${value}`);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    return new SseFrameClient(socket);
  }

  /** Opens a stream with a bearer token and waits for its status line and headers. */
  static async stream(
    baseUrl: string,
    path: string,
    token: string,
    options: SseFrameClientOptions = {},
  ): Promise<SseFrameClient> {
    const client = await SseFrameClient.open(baseUrl, path, {
      ...options,
      headers: { Authorization: `Bearer ${token}`, ...options.headers },
    });
    await client.waitUntil((c) => c.status !== 0);
    if (client.status !== 200) {
      throw new Error(`GET ${path} answered ${client.status}: ${client.body}`);
    }
    return client;
  }

  /** The frames that carry an event (not `retry`, not comments). */
  get events(): SseFrame[] {
    return this.frames.filter((frame) => frame.event !== undefined);
  }

  /** The ids of the events received, as numbers. */
  get ids(): number[] {
    return this.events.filter((frame) => frame.id !== undefined).map((frame) => Number(frame.id));
  }

  hasEventId(id: number): boolean {
    const text = String(id);
    return this.frames.some((frame) => frame.id === text);
  }

  /** Resolves when `predicate` holds; rejects after `timeoutMs` or when the socket closed. */
  async waitUntil(predicate: (client: this) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        const last = this.frames.slice(-3).map((frame) => frame.text.slice(0, 200));
        throw new Error(
          `condition not met (status ${this.status}, ${this.frames.length} frames, ended ${this.ended}, closed ${this.closed}); last frames: ${JSON.stringify(last)}`,
        );
      }
      // oxlint-disable-next-line no-await-in-loop -- each wake-up re-checks the condition
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the event with this id. */
  waitForId(id: number, timeoutMs?: number): Promise<void> {
    return this.waitUntil((client) => client.hasEventId(id), timeoutMs);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  private parse(): void {
    for (;;) {
      const state = this.state;
      if (state.at === 'done') return;
      if (state.at === 'head') {
        const end = this.pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        this.readHead(this.pending.subarray(0, end).toString('latin1'));
        this.pending = this.pending.subarray(end + 4);
      } else if (state.at === 'chunk-size') {
        const end = this.pending.indexOf('\r\n');
        if (end < 0) return;
        const size = parseInt(this.pending.subarray(0, end).toString('latin1'), 16);
        this.pending = this.pending.subarray(end + 2);
        if (size === 0) {
          this.ended = true;
          this.state = { at: 'done' };
        } else {
          this.state = { at: 'chunk-data', left: size };
        }
      } else if (state.at === 'chunk-data' || state.at === 'body') {
        if (this.pending.length === 0) return;
        const taken = this.pending.subarray(0, state.left);
        this.pending = this.pending.subarray(taken.length);
        state.left -= taken.length;
        this.take(this.decoder.write(taken), state.at === 'body');
        if (state.left === 0) {
          this.state = state.at === 'body' ? { at: 'done' } : { at: 'chunk-end', left: 2 };
          if (state.at === 'body') this.ended = true;
        }
      } else {
        const skipped = Math.min(state.left, this.pending.length);
        if (skipped === 0) return;
        this.pending = this.pending.subarray(skipped);
        state.left -= skipped;
        if (state.left === 0) this.state = { at: 'chunk-size' };
      }
    }
  }

  private readHead(head: string): void {
    const [statusLine, ...headerLines] = head.split('\r\n');
    this.status = Number(statusLine.split(' ')[1]);
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (/chunked/i.test(this.headers['transfer-encoding'] ?? '')) {
      this.state = { at: 'chunk-size' };
    } else {
      this.state = { at: 'body', left: Number(this.headers['content-length'] ?? 0) };
      if (this.headers['content-length'] === '0') this.ended = true;
    }
  }

  private take(text: string, plainBody: boolean): void {
    if (plainBody) {
      this.body += text;
      return;
    }
    this.text += text;
    for (;;) {
      const end = this.text.indexOf('\n\n', this.scanFrom);
      if (end < 0) {
        this.scanFrom = Math.max(0, this.text.length - 1);
        return;
      }
      this.frames.push(parseFrame(this.text.slice(0, end)));
      this.text = this.text.slice(end + 2);
      this.scanFrom = 0;
    }
  }
}

function parseFrame(text: string): SseFrame {
  const frame: SseFrame = { text };
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) {
      frame.comment = line.slice(1);
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event' || field === 'id' || field === 'data' || field === 'retry') {
      frame[field] = value;
    }
  }
  return frame;
}
