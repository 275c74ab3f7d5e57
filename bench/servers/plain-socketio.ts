import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Server } from 'socket.io';
import { listenPort, publishEvents, readPublishRequest, sendJson } from './bench-events.js';

/**
 * A plain Socket.IO server: every event goes to every client with one `io.emit`; once clients
 * ask with `?libraries=` (and join those libraries' rooms), with one emit to the room of its
 * library and to the room of the clients that asked for nothing.
 */
const EVERYTHING = '*';
let routedClients = 0;
let lastId = 0;
const nextId = () => ++lastId;

async function publish(request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    const asked = await readPublishRequest(request);
    publishEvents(asked, nextId, (event) =>
      (routedClients === 0 ? io : io.to([EVERYTHING, event.library])).emit(
        'medias',
        event.message,
        event.id,
      ),
    );
    sendJson(response, 200, { published: asked.count });
  } catch (error) {
    sendJson(response, 400, { message: (error as Error).message });
  }
}

const httpServer = createServer((request, response) => {
  if (request.url?.startsWith('/socket.io')) return;
  if (request.method === 'POST' && request.url === '/bench/publish') {
    void publish(request, response);
    return;
  }
  if (request.method === 'GET' && request.url === '/health') {
    sendJson(response, 200, { status: 'ok', connections: io.engine.clientsCount });
    return;
  }
  sendJson(response, 404, { message: 'not found' });
});

const io = new Server(httpServer, { serveClient: false });
io.on('connection', (socket) => {
  const { libraries } = socket.handshake.query;
  if (typeof libraries !== 'string') {
    void socket.join(EVERYTHING);
    return;
  }
  routedClients++;
  socket.on('disconnect', () => routedClients--);
  void socket.join(libraries.split(','));
});

httpServer.listen(listenPort(), '127.0.0.1');
