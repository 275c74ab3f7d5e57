import type { SecurityScheme } from '../events/asyncapi/asyncapi.types.js';
import { STREAM_TICKET_TTL_SECONDS } from './stream-ticket.service.js';

/**
 * What TokenStreamAuthenticator reads from a stream request (`GET /sse`, the first request of a
 * Socket.IO session), as security schemes of the AsyncAPI document: any one admits a stream.
 */
export const STREAM_SECURITY_SCHEMES: Readonly<Record<string, SecurityScheme>> = {
  streamTicket: {
    type: 'httpApiKey',
    in: 'query',
    name: 'ticket',
    description: `A stream ticket from \`POST /auth/stream-ticket\` (authenticated): it opens one stream, once, within ${STREAM_TICKET_TTL_SECONDS} s, on any process; that stream ends when the token the ticket was asked with expires, or its session ends. When given, no other credential is read. Better than a token in a URL.`,
  },
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'The access token of `POST /auth/login` or `POST /auth/refresh`, in `Authorization: Bearer <token>`; when that header is present, it alone is read.',
  },
  tokenCookie: {
    type: 'httpApiKey',
    in: 'cookie',
    name: 'token',
    description: 'The `token` cookie that `POST /auth/login` and `POST /auth/refresh` set.',
  },
  tokenQuery: {
    type: 'httpApiKey',
    in: 'query',
    name: 'token',
    description:
      "The access token in the query, for clients that cannot set headers (EventSource, a browser's WebSocket); read last.",
  },
};
