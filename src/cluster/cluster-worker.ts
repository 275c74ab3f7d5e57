import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { CONNECTION, type ConnectionMessage, WORKER_READY } from './cluster-primary.js';

/**
 * Serves the connections the primary hands over: the HTTP server (never listening itself) takes
 * each socket as its own, first with the bytes the primary read from it.
 */
export function serveHandedConnections(app: NestExpressApplication): void {
  const server: Server = app.getHttpServer();
  process.on('message', (message: unknown, socket?: Socket) => {
    if ((message as ConnectionMessage | undefined)?.type !== CONNECTION || !socket) return;
    server.emit('connection', socket);
    socket.emit('data', Buffer.from((message as ConnectionMessage).head, 'base64'));
    socket.resume();
  });
  process.send?.({ type: WORKER_READY });
}
