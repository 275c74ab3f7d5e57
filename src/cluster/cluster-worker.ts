import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CONNECTION, type ConnectionMessage, WORKER_READY } from './cluster-primary.js';
import { workerOfUrl } from './engine-session-id.js';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Serves the connections the primary hands over: the HTTP server (never listening itself) takes
 * each socket as its own, first with the bytes the primary read from it.
 */
export function serveHandedConnections(app: NestExpressApplication, workerIndex: number): void {
  const server: Server = app.getHttpServer();
  redirectOtherWorkersSessions(server, workerIndex);
  process.on('message', (message: unknown, socket?: Socket) => {
    if ((message as ConnectionMessage | undefined)?.type !== CONNECTION || !socket) return;
    server.emit('connection', socket);
    socket.emit('data', Buffer.from((message as ConnectionMessage).head, 'base64'));
    socket.resume();
  });
  process.send?.({ type: WORKER_READY });
}

/**
 * A connection stays with the worker its first request was handed to. A later request on it
 * that belongs to a polling session of another worker (a browser reusing a pooled connection, a
 * proxy keeping its upstream connections alive) cannot be served here: it is sent to the same
 * URL again (307 keeps the method and body) on a connection of its own (`Connection: close`),
 * which the primary hands to the session's worker. Installed in front of every request listener
 * of the server, engine.io's included, once the application attached them.
 */
function redirectOtherWorkersSessions(server: Server, workerIndex: number): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const owner = workerOfUrl(request.url ?? '');
    if (owner === undefined || owner === workerIndex) {
      for (const listener of listeners) listener.call(server, request, response);
      return;
    }
    response.writeHead(307, {
      Location: request.url,
      Connection: 'close',
      'Content-Length': '0',
    });
    response.end();
  });
}
