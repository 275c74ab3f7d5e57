import type { IncomingMessage, ServerResponse } from 'node:http';
import { benchMediasMessage, paddingFor, wallClockMs } from '../reelay/bench-payload.js';
import type { MediasMessage } from '../../src/events/events.types.js';

/**
 * What the comparison servers share: the body of `POST /bench/publish` and the events it
 * asks for, built exactly as Reelay's bench publish path builds them.
 */
export interface PublishRequest {
  count: number;
  size: number;
  libraries: string[];
  /** One event every `intervalMs` rather than all at once. */
  intervalMs?: number;
}

export interface BenchEvent {
  id: number;
  library: string;
  message: { Medias: MediasMessage };
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function readPublishRequest(request: IncomingMessage): Promise<PublishRequest> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk);
  }
  return toPublishRequest(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
}

/** Checks a publish body: `count` events (1-100,000), about `size` bytes, over `libraries`. */
export function toPublishRequest(body: unknown): PublishRequest {
  const { count, size = 512, libraries, intervalMs } = (body ?? {}) as Record<string, unknown>;
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 100_000) {
    throw new Error('count must be a whole number from 1 to 100,000');
  }
  if (!Number.isInteger(size) || (size as number) < 0) throw new Error('bad size');
  if (intervalMs !== undefined && !(typeof intervalMs === 'number' && intervalMs >= 1)) {
    throw new Error('intervalMs must be a number of at least 1');
  }
  const names =
    Array.isArray(libraries) && libraries.length > 0 ? libraries.map(String) : ['bench'];
  return { count: count as number, size: size as number, libraries: names, intervalMs };
}

/** Yields the events of a publish request, each stamped with its send time when it is built. */
export function* benchEvents(request: PublishRequest, nextId: () => number): Generator<BenchEvent> {
  const paddings = new Map(request.libraries.map((lib) => [lib, paddingFor(request.size, lib)]));
  for (let i = 0; i < request.count; i++) {
    const library = request.libraries[i % request.libraries.length];
    const id = nextId();
    const message = benchMediasMessage(library, id, paddings.get(library) ?? '', wallClockMs());
    yield { id, library, message: { Medias: message } };
  }
}

/**
 * Hands the events of a request to `send`: all at once, or one every `intervalMs`, against the
 * clock so that a late timer does not drift (as Reelay's bench publish path does).
 */
export function publishEvents(
  request: PublishRequest,
  nextId: () => number,
  send: (event: BenchEvent) => void,
): void {
  const events = benchEvents(request, nextId);
  const { intervalMs } = request;
  if (intervalMs === undefined) {
    for (const event of events) send(event);
    return;
  }
  const start = performance.now();
  let index = 0;
  const tick = () => {
    const next = events.next();
    if (next.done === true) return;
    send(next.value);
    index++;
    setTimeout(tick, Math.max(0, start + index * intervalMs - performance.now()));
  };
  setTimeout(tick, 0);
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** The port to listen on, from the PORT variable the orchestrator sets. */
export function listenPort(): number {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set');
  return port;
}
