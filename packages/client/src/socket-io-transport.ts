import type { OpenStream, StreamEnd, StreamTransport } from './transport.js';

/** The part of a socket.io-client `Socket` the transport uses. */
export interface SocketIoSocket {
  on(event: string, listener: (...args: never[]) => void): unknown;
  onAny(listener: (event: string, ...args: unknown[]) => void): unknown;
  disconnect(): unknown;
}

/** socket.io-client's `io`, passed in so that only the apps that use Socket.IO load it. */
export type SocketIoConnect = (url: string, options: Record<string, unknown>) => SocketIoSocket;

export interface SocketIoTransportOptions {
  /**
   * engine.io transports (default: long-polling first, then the upgrade to WebSocket, as
   * socket.io-client does: a refusal of the first request shows its HTTP status only on polling).
   */
  transports?: string[];
}

/** What socket.io-client hands `connect_error`: Reelay's refusals carry the JSON error body. */
interface ConnectError {
  message: string;
  description?: unknown;
  data?: { statusCode?: unknown; message?: unknown };
  /** The refused polling request, whose body is Reelay's JSON error. */
  context?: { responseText?: unknown };
}

/**
 * The same stream over Socket.IO (`import { io } from 'socket.io-client'`, then
 * `socketIoTransport(io)`). socket.io-client's own reconnection is off: the client reconnects, as
 * for SSE, with the last id it saw (`auth.lastEventId`). In Node the bearer token goes in a header
 * (`extraHeaders`); browsers cannot set headers on a WebSocket and send the `token` cookie.
 */
export function socketIoTransport(
  io: SocketIoConnect,
  options: SocketIoTransportOptions = {},
): StreamTransport {
  return {
    name: 'socket.io',
    open(request, listener): OpenStream {
      let ended = false;
      const end = (outcome: StreamEnd): void => {
        if (ended) return;
        ended = true;
        socket.disconnect();
        listener.end(outcome);
      };
      const query: Record<string, string> = {};
      if (request.libraries?.length) query.libraries = request.libraries.join(',');
      const page = (globalThis as { location?: { origin: string } }).location;
      const socket = io(request.baseUrl === '' && page ? page.origin : request.baseUrl, {
        query,
        auth: request.lastEventId === undefined ? {} : { lastEventId: request.lastEventId },
        extraHeaders:
          request.token === undefined ? undefined : { Authorization: `Bearer ${request.token}` },
        transports: options.transports ?? ['polling', 'websocket'],
        withCredentials: true,
        reconnection: false,
        forceNew: true,
      });
      socket.on('connect', () => listener.open());
      socket.onAny((name, data, id) => {
        if (!ended) listener.event(name, data, typeof id === 'number' ? id : undefined);
      });
      socket.on('connect_error', (error: ConnectError) => end(refusalOf(error)));
      socket.on('disconnect', (reason: string) =>
        end(
          reason === 'io server disconnect'
            ? { kind: 'ended' }
            : { kind: 'failed', error: new Error(reason) },
        ),
      );
      return {
        close() {
          ended = true;
          socket.disconnect();
        },
      };
    },
  };
}

/**
 * A refusal with its status where the server gave one (the namespace's JSON body, the polling
 * request's status, or in Node the WebSocket handshake's), else a failed connection.
 */
function refusalOf(error: ConnectError): StreamEnd {
  const described =
    error.description instanceof Error
      ? /Unexpected server response: (\d{3})/.exec(error.description.message)?.[1]
      : error.description;
  const status =
    error.data?.statusCode ?? (typeof described === 'string' ? Number(described) : described);
  if (typeof status !== 'number') return { kind: 'failed', error };
  const body = error.data ?? parsed(error.context?.responseText);
  const message = typeof body?.message === 'string' ? body.message : error.message;
  return { kind: 'refused', status, message };
}

function parsed(text: unknown): { message?: unknown } | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as { message?: unknown };
  } catch {
    return undefined;
  }
}
