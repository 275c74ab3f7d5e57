import { EventSource } from 'eventsource';
import { connect, type Socket } from 'node:net';

export interface ReceivedEvent {
  type: string;
  id: string;
  data: unknown;
}

/**
 * A real EventSource (the `eventsource` package) that records every event of the given names,
 * with helpers to wait for them.
 */
export class RecordingEventSource {
  readonly source: EventSource;
  readonly events: ReceivedEvent[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    url: string,
    eventNames: readonly string[],
    init?: { headers?: Record<string, string> },
  ) {
    const headers = init?.headers;
    this.source = new EventSource(url, {
      fetch: headers
        ? (input, options) =>
            fetch(input, { ...options, headers: { ...options?.headers, ...headers } })
        : undefined,
    });
    for (const name of eventNames) {
      this.source.addEventListener(name, (event) => {
        this.events.push({
          type: name,
          id: event.lastEventId,
          data: JSON.parse(event.data) as unknown,
        });
        for (const wake of this.waiters.splice(0)) wake();
      });
    }
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.source.readyState === EventSource.OPEN) return resolve();
      this.source.addEventListener('open', () => resolve(), { once: true });
      this.source.addEventListener(
        'error',
        (error) => reject(new Error(`EventSource failed: ${error.message ?? error.code}`)),
        { once: true },
      );
    });
  }

  /** Resolves once `count` events have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 5000): Promise<ReceivedEvent[]> {
    return waitForCondition(
      this.waiters,
      () => this.events.length >= count,
      () => `expected ${count} events, got ${this.events.length}`,
      timeoutMs,
    ).then(() => this.events);
  }

  close(): void {
    this.source.close();
  }
}

/** A raw HTTP/1.1 connection that records the exact bytes the server sends. */
export class RawSseClient {
  readonly socket: Socket;
  private buffer = '';
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(
    baseUrl: string,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<RawSseClient> {
    const { hostname, port } = new URL(baseUrl);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Accept: text/event-stream',
    ];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    return new RawSseClient(socket);
  }

  /** Everything received so far, headers included. */
  get received(): string {
    return this.buffer;
  }

  /** The body with HTTP/1.1 chunked framing removed. */
  get body(): string {
    const start = this.buffer.indexOf('\r\n\r\n');
    if (start < 0) return '';
    if (!/transfer-encoding: chunked/i.test(this.buffer.slice(0, start))) {
      return this.buffer.slice(start + 4);
    }
    // Chunk sizes count bytes, not characters: frames may carry any UTF-8 text.
    let rest = Buffer.from(this.buffer.slice(start + 4));
    const chunks: Buffer[] = [];
    while (rest.length > 0) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd < 0) break;
      const size = parseInt(rest.subarray(0, lineEnd).toString(), 16);
      if (Number.isNaN(size) || rest.length < lineEnd + 2 + size + 2) break;
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
    return Buffer.concat(chunks).toString();
  }

  /** Resolves when the received bytes satisfy `predicate`; rejects after `timeoutMs`. */
  waitUntil(predicate: (client: RawSseClient) => boolean, timeoutMs = 5000): Promise<void> {
    return waitForCondition(
      this.waiters,
      () => predicate(this),
      () => `condition not met; received so far:\n${this.buffer}`,
      timeoutMs,
      () => this.socket.destroyed,
    );
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Resolves when `done()` holds, checking again each time a waiter in `waiters` is woken;
 * rejects with `describe()` after `timeoutMs`, or as soon as `gone()` says nothing more can come.
 */
function waitForCondition(
  waiters: (() => void)[],
  done: () => boolean,
  describe: () => string,
  timeoutMs: number,
  gone: () => boolean = () => false,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(describe())), timeoutMs);
    const check = (): void => {
      if (done()) {
        clearTimeout(timer);
        resolve();
      } else if (gone()) {
        clearTimeout(timer);
        reject(new Error(describe()));
      } else {
        waiters.push(check);
      }
    };
    check();
  });
}
