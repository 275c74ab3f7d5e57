import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenPort, publishEvents, readPublishRequest, sendJson } from './bench-events.js';

/**
 * The limit to compare against: a plain node:http SSE broadcaster that builds each frame once
 * and writes it to every client, or, for a client that asked with `?libraries=`, to it only
 * when the event is in one of them. No auth, no queue bound.
 */
const clients = new Set<ServerResponse>();
/** Every client, and those that asked for libraries under each library they asked for. */
const everything = new Set<ServerResponse>();
const byLibrary = new Map<string, Set<ServerResponse>>();

function subscribe(response: ServerResponse, libraries: string | null): void {
  clients.add(response);
  const groups =
    libraries === null
      ? [everything]
      : libraries.split(',').map((library) => {
          let group = byLibrary.get(library);
          if (group === undefined) byLibrary.set(library, (group = new Set()));
          return group;
        });
  for (const group of groups) group.add(response);
  response.on('close', () => {
    clients.delete(response);
    for (const group of groups) group.delete(response);
  });
}
let lastId = 0;
const nextId = () => ++lastId;

async function publish(request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    const asked = await readPublishRequest(request);
    publishEvents(asked, nextId, (event) => {
      const data = JSON.stringify(event.message);
      const frame = Buffer.from(`event: medias\nid: ${event.id}\ndata: ${data}\n\n`);
      for (const client of everything) client.write(frame);
      for (const client of byLibrary.get(event.library) ?? []) client.write(frame);
    });
    sendJson(response, 200, { published: asked.count });
  } catch (error) {
    sendJson(response, 400, { message: (error as Error).message });
  }
}

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url?.startsWith('/sse')) {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
    });
    response.write('retry: 3000\n\n');
    subscribe(response, new URL(request.url, 'http://localhost').searchParams.get('libraries'));
    return;
  }
  if (request.method === 'POST' && request.url === '/bench/publish') {
    void publish(request, response);
    return;
  }
  if (request.method === 'GET' && request.url === '/health') {
    sendJson(response, 200, { status: 'ok', connections: clients.size });
    return;
  }
  sendJson(response, 404, { message: 'not found' });
});

server.listen(listenPort(), '127.0.0.1');
