import type {
  CorsOptions,
  CorsOptionsDelegate,
} from '@nestjs/common/interfaces/external/cors-options.interface.js';
import type { IncomingHttpHeaders } from 'node:http';

/** How long a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Cross-origin access for the listed web origins only: a page on one of them may call the API
 * and open the streams with credentials (the token cookie or an Authorization header), and its
 * requests get the CORS headers; a request from any other origin gets none, so the browser keeps
 * the answer from that page. The same policy serves the HTTP API (Express) and the Socket.IO
 * channel (engine.io), which both take the `cors` package's options.
 */
export function corsPolicy(
  origins: readonly string[],
  /** Response headers the pages of those origins may read besides the basic ones. */
  exposedHeaders: readonly string[] = [],
): CorsOptionsDelegate<{ headers: IncomingHttpHeaders }> {
  const allowed = new Set(origins);
  const granted: CorsOptions = {
    origin: true,
    credentials: true,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    ...(exposedHeaders.length > 0 ? { exposedHeaders: [...exposedHeaders] } : {}),
  };
  const refused: CorsOptions = { origin: false };
  return (request, callback) => {
    const { origin } = request.headers;
    callback(null, origin !== undefined && allowed.has(origin) ? granted : refused);
  };
}
