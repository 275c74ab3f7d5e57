import { SseParser } from './sse-parser.js';
import { type OpenStream, retryAfterMs, type StreamTransport } from './transport.js';

export interface SseTransportOptions {
  /** The fetch to use (default: the global one, in browsers and in Node 20+). */
  fetch?: typeof fetch;
}

/**
 * `GET /sse` read with fetch rather than EventSource: fetch can send `Last-Event-ID` on the
 * client's own reconnections and a bearer token in a header, and it shows the status of a
 * refusal (EventSource hides both); the cookie goes along too (`credentials: 'include'`).
 */
export function sseTransport(options: SseTransportOptions = {}): StreamTransport {
  return {
    name: 'sse',
    open(request, listener): OpenStream {
      const fetchStream = options.fetch ?? globalThis.fetch;
      const abort = new AbortController();
      let closed = false;
      const params = new URLSearchParams();
      if (request.libraries?.length) params.set('libraries', request.libraries.join(','));
      const query = params.size > 0 ? `?${params.toString()}` : '';
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (request.lastEventId !== undefined) headers['Last-Event-ID'] = `${request.lastEventId}`;
      if (request.token !== undefined) headers.Authorization = `Bearer ${request.token}`;

      const read = async (): Promise<void> => {
        const response = await fetchStream(`${request.baseUrl}/sse${query}`, {
          headers,
          credentials: 'include',
          signal: abort.signal,
        });
        if (!response.ok || response.body === null) {
          const body = (await response.json().catch(() => ({}))) as { message?: unknown };
          return listener.end({
            kind: 'refused',
            status: response.status,
            message: typeof body.message === 'string' ? body.message : response.statusText,
            retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
          });
        }
        listener.open();
        const parser = new SseParser({
          message: ({ event, data, id }) =>
            listener.event(event, JSON.parse(data), id === undefined ? undefined : Number(id)),
          retry: (ms) => listener.retry(ms),
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          // One read at a time is the nature of a stream reader.
          // oxlint-disable-next-line no-await-in-loop
          const { done, value } = await reader.read();
          if (closed) return;
          if (done) return listener.end({ kind: 'ended' });
          parser.feed(value);
        }
      };
      read().catch((error: unknown) => {
        if (closed) return;
        closed = true;
        abort.abort();
        listener.end({ kind: 'failed', error });
      });
      return {
        close() {
          closed = true;
          abort.abort();
        },
      };
    },
  };
}
