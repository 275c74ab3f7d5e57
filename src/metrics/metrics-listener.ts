import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOn } from '../common/listen.js';

export interface MetricsSource {
  readonly contentType: string;
  scrape(): Promise<string>;
}

function sendError(response: ServerResponse, statusCode: number, error: string, message: string) {
  response.writeHead(statusCode, { 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify({ statusCode, error, message }));
}

async function answer(
  source: MetricsSource,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if ((request.url ?? '').split('?')[0] !== '/metrics') {
    return sendError(response, 404, 'Not Found', 'Only /metrics is served on this port');
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return sendError(response, 405, 'Method Not Allowed', 'Use GET /metrics');
  }
  let text: string;
  try {
    text = await source.scrape();
  } catch (error) {
    return sendError(
      response,
      503,
      'Service Unavailable',
      `Metrics cannot be read now: ${String(error)}`,
    );
  }
  response.writeHead(200, { 'Content-Type': source.contentType, 'Cache-Control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : text);
}

/**
 * METRICS_PORT: a listener of its own that answers `GET /metrics` without credentials, for a
 * scraper on a private network, and nothing else.
 */
export async function listenForScrapes(
  source: MetricsSource,
  port: number,
  host: string,
): Promise<Server> {
  const server = createServer((request, response) => void answer(source, request, response));
  await listenOn(server, port, host);
  return server;
}
