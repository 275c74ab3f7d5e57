import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';

export interface Http2Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One SSE frame, without the blank line that ends it, and when it arrived (performance.now). */
export interface TimedFrame {
  text: string;
  at: number;
}

/** A `text/event-stream` response read over HTTP/2, each frame stamped as it arrives. */
export class Http2EventStream {
  readonly frames: TimedFrame[] = [];
  closed = false;
  private text = '';
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly stream: ClientHttp2Stream,
    readonly headers: IncomingHttpHeaders,
  ) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const at = performance.now();
      this.text += chunk;
      let end: number;
      while ((end = this.text.indexOf('\n\n')) !== -1) {
        this.frames.push({ text: this.text.slice(0, end), at });
        this.text = this.text.slice(end + 2);
      }
      this.wake();
    });
    stream.on('close', () => {
      this.closed = true;
      this.wake();
    });
    stream.on('error', () => undefined);
  }

  /** Resolves with the first frame after `from` (an index into `frames`) that `matches`. */
  frame(matches: (frame: TimedFrame) => boolean, from = 0, timeoutMs = 5000): Promise<TimedFrame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.frames.slice(from).find(matches);
        if (found === undefined && !this.closed) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        if (found === undefined) reject(new Error(`the stream closed; frames: ${this.dump()}`));
        else resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no such frame after ${timeoutMs} ms; frames: ${this.dump()}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.stream.close();
  }

  private dump(): string {
    return JSON.stringify(this.frames.map((frame) => frame.text)).slice(0, 2000);
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }
}

/** One HTTP/2 connection (TLS, ALPN `h2`) and the requests made on it. */
export class Http2Client {
  private constructor(readonly session: ClientHttp2Session) {}

  /** Connects to `url` (https), trusting `ca`, from `localAddress` when given. */
  static async connect(url: string, ca: string, localAddress?: string): Promise<Http2Client> {
    const { hostname, port } = new URL(url);
    // The sockets are made here because node:http2's and node:tls's options have no
    // localAddress; so is the ALPN offer (a browser's), which connect() makes only on sockets of
    // its own.
    const session = connect(url, {
      createConnection: () =>
        tlsConnect({
          socket: tcpConnect({ host: hostname, port: Number(port), localAddress }),
          host: hostname,
          ca,
          ALPNProtocols: ['h2', 'http/1.1'],
        }),
    });
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    session.on('error', () => undefined);
    return new Http2Client(session);
  }

  /** The protocol TLS agreed on (ALPN). */
  get protocol(): string | false | undefined {
    return this.session.alpnProtocol;
  }

  /** A request whose whole answer is read. */
  request(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders = {},
    body?: string | Buffer,
  ): Promise<Http2Response> {
    const { stream, response } = this.open(method, path, headers, body === undefined);
    if (body !== undefined) stream.end(body);
    return response;
  }

  /**
   * A request whose body the caller writes to `stream` (and ends), as slowly as it likes;
   * `response` resolves with the whole answer.
   */
  open(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders = {},
    withoutBody = false,
  ): { stream: ClientHttp2Stream; response: Promise<Http2Response> } {
    const stream = this.session.request(
      { ':method': method, ':path': path, ...headers },
      { endStream: withoutBody },
    );
    const response = new Promise<Http2Response>((resolve, reject) => {
      let responseHeaders: IncomingHttpHeaders = {};
      let text = '';
      stream.setEncoding('utf8');
      stream.on('response', (received) => (responseHeaders = received));
      stream.on('data', (chunk: string) => (text += chunk));
      stream.on('end', () =>
        resolve({
          status: Number(responseHeaders[':status']),
          headers: responseHeaders,
          body: text,
        }),
      );
      stream.on('error', reject);
    });
    return { stream, response };
  }

  /** A JSON request. */
  json(
    method: string,
    path: string,
    body: unknown,
    headers: OutgoingHttpHeaders = {},
  ): Promise<Http2Response> {
    return this.request(
      method,
      path,
      { 'content-type': 'application/json', ...headers },
      JSON.stringify(body),
    );
  }

  /** Opens an event stream; resolves once its response headers are in. */
  eventStream(path: string, headers: OutgoingHttpHeaders = {}): Promise<Http2EventStream> {
    const stream = this.session.request({ ':path': path, ...headers });
    return new Promise((resolve, reject) => {
      stream.once('response', (received) => resolve(new Http2EventStream(stream, received)));
      stream.once('error', reject);
    });
  }

  /** Ends the connection and whatever it still carries (an event stream, a failed upload). */
  close(): Promise<void> {
    if (this.session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.session.once('close', () => resolve());
      this.session.destroy();
    });
  }
}
