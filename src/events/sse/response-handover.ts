import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * The one place where Reelay leans on behaviour of Node's HTTP server that its documentation
 * does not promise: a kept-alive, chunked response whose headers are out can be finished
 * *without its last chunk*, by clearing `chunkedEncoding` before `end()`. Node then lets go of the
 * request and the response (and all that Express and Nest hung on them) and keeps the socket
 * as an idle kept-alive connection, on which the stream goes on writing chunks itself.
 *
 * Whether that holds is checked once per process, on the running Node, by `handoverHolds()`;
 * where it does not, streams keep their response and write through it (documented API only).
 */

/** The chunk that ends a chunked body (with no trailers). */
export const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/**
 * Whether a response may be handed over: Node must mean to keep the connection alive (else it
 * closes it on finish) and to frame the body in chunks (else the stream's framing is not ours).
 */
export function canHandOver(response: ServerResponse): boolean {
  return response.shouldKeepAlive && response.chunkedEncoding;
}

/**
 * Finishes a response whose headers were flushed, and nothing else written through it, without
 * writing its last chunk. Written through Node, a body byte could wait in the response's own
 * chunk buffer (Node 24 and later batch chunks while corked), and Node asserts that such a
 * buffer is chunked when it flushes it.
 */
export function handOver(response: ServerResponse): void {
  const socket = response.socket;
  response.chunkedEncoding = false;
  // A finished response arms the idle timeout of the kept-alive connection.
  response.once('finish', () => socket?.setTimeout(0));
  response.end();
}

export type HandOver = (response: ServerResponse) => void;

const PROBE_BODY = Buffer.from('5\r\nprobe\r\n0\r\n\r\n');
/** Longer than the probe server's keep-alive timeout, so a timeout left armed would show. */
const PROBE_KEEP_ALIVE_MS = 20;
const PROBE_SETTLE_MS = 4 * PROBE_KEEP_ALIVE_MS;
const PROBE_DEADLINE_MS = 5000;

let runtimeVerdict: Promise<boolean> | undefined;

/** Whether the hand-over holds on the Node running this process; checked once, then remembered. */
export function handoverHolds(): Promise<boolean> {
  runtimeVerdict ??= probeHandover(handOver);
  return runtimeVerdict;
}

/**
 * Performs a hand-over on a loopback connection and checks what a client and Node see: no
 * error, the response finished and detached from its socket, the connection still open after
 * Node's keep-alive timeout, and on the wire exactly the head, the stream's own chunk and its
 * last chunk.
 */
export async function probeHandover(attempt: HandOver): Promise<boolean> {
  let verdict = true;
  const fail = () => {
    verdict = false;
  };
  const server = createServer({ keepAliveTimeout: PROBE_KEEP_ALIVE_MS }, (_request, response) => {
    const socket = response.socket as Socket;
    response.writeHead(200, { 'Content-Type': 'text/event-stream' });
    response.flushHeaders();
    if (!canHandOver(response)) return fail();
    try {
      attempt(response);
    } catch {
      socket.destroy();
      return fail();
    }
    setTimeout(() => {
      if (!response.writableFinished || response.socket !== null || socket.destroyed) {
        fail();
        socket.destroy();
        return;
      }
      socket.end(PROBE_BODY);
    }, PROBE_SETTLE_MS);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Exclusive: in a cluster worker, a shared port would send the probe to any worker.
      server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, resolve);
    });
  } catch {
    return false;
  }
  try {
    const received = await exchange((server.address() as AddressInfo).port);
    return verdict && isExpectedWire(received);
  } catch {
    return false;
  } finally {
    server.close();
  }
}

function exchange(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error('the hand-over probe did not finish'));
    }, PROBE_DEADLINE_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => {
      clearTimeout(deadline);
      resolve(Buffer.concat(chunks));
    });
    socket.write('GET / HTTP/1.1\r\nHost: probe\r\nConnection: keep-alive\r\n\r\n');
  });
}

function isExpectedWire(received: Buffer): boolean {
  const headEnd = received.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = received.subarray(0, headEnd).toString('latin1');
  return (
    head.startsWith('HTTP/1.1 200 ') &&
    /\r\ntransfer-encoding: chunked(\r\n|$)/i.test(head) &&
    received.subarray(headEnd + 4).equals(PROBE_BODY)
  );
}
