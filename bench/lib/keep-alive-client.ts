import { Agent, request } from 'node:http';

/** A request with no complete answer by then counts as failed. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface TimedResponse {
  /** 0 when no response came (a connection error, a timeout). */
  status: number;
  body: string;
  /** From the call to the last byte of the response body. */
  ms: number;
  error?: string;
}

/**
 * JSON requests to one server over at most `sockets` kept-alive HTTP/1.1 connections, as a
 * browser or an app makes them: the connection set-up is paid once, not by every request.
 */
export class KeepAliveClient {
  private readonly agent: Agent;
  /** Requests that had to open a connection: as many as sockets while keep-alive works. */
  connectionsOpened = 0;

  constructor(
    private readonly port: number,
    sockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  send(method: string, path: string, token: string, body?: unknown): Promise<TimedResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const start = performance.now();
    return new Promise((resolve) => {
      const failed = (error: Error) =>
        resolve({ status: 0, body: '', ms: performance.now() - start, error: error.message });
      const call = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            Authorization: `Bearer ${token}`,
            ...(payload === undefined
              ? {}
              : {
                  'Content-Type': 'application/json',
                  'Content-Length': Buffer.byteLength(payload),
                }),
          },
        },
        (response) => {
          if (!call.reusedSocket) this.connectionsOpened++;
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', failed);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - start,
            }),
          );
        },
      );
      call.on('timeout', () =>
        call.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)),
      );
      call.on('error', failed);
      call.end(payload);
    });
  }

  /** Closes the connections. */
  close(): void {
    this.agent.destroy();
  }
}
