import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { HandshakeRefused, SocketService } from './socket.service.js';

/** Clients only listen; a bigger message from one is refused rather than buffered. */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/**
 * The Socket.IO channel (path `/socket.io`, default namespace): the same events as `GET /sse`,
 * for the same users, under the same names.
 *
 * Wire contract: each event arrives as `emit(name, data, id)`, so a client handler is
 * `(data, id) => …` where `data` is the parsed SSE `data` (the wrapped message, for example
 * `{ Medias: {...} }`) and `id` the global event id as a number; `lagged` and `resync` come
 * with no id. Authentication: `auth.token`, else the `Authorization: Bearer` header, the
 * `token` cookie or the `token` query. Options: the `libraries` query (as on SSE) and
 * `auth.lastEventId` (or the `lastEventId` query) to resume. A refused handshake is a
 * `connect_error` whose `message` says why and whose `data` is `{statusCode, error, message}`,
 * as an HTTP error body. The server disconnects a socket when its token expires or its user is
 * deleted; the client then needs a new token rather than an automatic reconnection.
 */
@WebSocketGateway({
  path: '/socket.io',
  serveClient: false,
  maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
})
export class SocketGateway implements OnGatewayInit<Server>, OnGatewayConnection<Socket> {
  constructor(private readonly sockets: SocketService) {}

  afterInit(server: Server): void {
    server.use((socket, next) => {
      try {
        this.sockets.authenticate(socket);
        next();
      } catch (error) {
        next(error as HandshakeRefused);
      }
    });
  }

  handleConnection(socket: Socket): void {
    this.sockets.open(socket);
  }
}
