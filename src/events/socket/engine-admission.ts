import { type IncomingMessage, STATUS_CODES, ServerResponse } from 'node:http';
import type { ErrorBody } from '../../common/http-exception.filter.js';
import type { RequestSources } from './socket-handshake.js';

/** A middleware as `server.engine.use` takes it: it runs before engine.io reads the request. */
export type EngineMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: Error) => void,
) => void;

/** Why a request may not open an engine.io session and, if that will pass, when to ask again. */
export interface AdmissionRefusal {
  body: ErrorBody;
  retryAfterSeconds?: number;
}

/** Whether a request may open an engine.io session: nothing, or how to refuse it. */
export type AdmissionCheck = (
  request: IncomingMessage,
  sources: RequestSources,
) => AdmissionRefusal | undefined | Promise<AdmissionRefusal | undefined>;

const JSON_TYPE = 'application/json; charset=utf-8';

const INTERNAL_ERROR: AdmissionRefusal = {
  body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
};

/**
 * The query exactly as engine.io reads it (`Object.fromEntries` of the search parameters), so
 * the last of a repeated name wins: read any other way, `?sid=x&sid=` would pass here as a
 * request of an existing session while engine.io opened a new one.
 */
function engineQuery(url = ''): Record<string, string> {
  return Object.fromEntries(new URL(url, 'http://engine.io').searchParams);
}

/**
 * Refuses a handshake request (one without `sid`: a polling GET or a websocket upgrade) that
 * `check` turns down, before engine.io creates a session for it, with `check`'s body (and
 * `Retry-After`, if it says when) as an HTTP error answer. Requests of an existing session pass:
 * its handshake was checked.
 */
export function engineAdmission(check: AdmissionCheck): EngineMiddleware {
  return (req, res, next) => {
    const query = engineQuery(req.url);
    if (query.sid) return next();
    const verdict = check(req, { headers: req.headers, query });
    if (verdict instanceof Promise) {
      // A check that failed rather than refused: the request gets a bare 500, and no session.
      void verdict.then(
        (refusal) => answer(req, res, next, refusal),
        () => answer(req, res, next, INTERNAL_ERROR),
      );
    } else {
      answer(req, res, next, verdict);
    }
  };
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: Error) => void,
  refusal: AdmissionRefusal | undefined,
): void {
  if (refusal === undefined) return next();
  const { statusCode, message } = refusal.body;
  const body = JSON.stringify(refusal.body);
  const headers: Record<string, string | number> = {
    'Content-Type': JSON_TYPE,
    'Content-Length': Buffer.byteLength(body),
  };
  if (refusal.retryAfterSeconds !== undefined) {
    headers['Retry-After'] = refusal.retryAfterSeconds;
  }
  // Any error makes engine.io drop the request without a session; it writes its own 400 only
  // where ours is not written yet (abortRequest looks at headersSent, abortUpgrade at writable).
  const refused = new Error(String(message));
  if (res instanceof ServerResponse) {
    res.writeHead(statusCode, headers);
    res.end(body);
    return next(refused);
  }
  // An upgrade: engine.io's stand-in response writes nothing, so the answer goes on the socket
  // itself, ended before engine.io's abort runs. Node's HTTP server no longer listens for the
  // socket's errors once it handed it over: a client gone meanwhile must not crash the process,
  // and the end callback still runs then.
  const { socket } = req;
  socket.on('error', () => undefined);
  const headerLines = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\n` +
      `Connection: close\r\n${headerLines}\r\n${body}`,
    () => next(refused),
  );
}
