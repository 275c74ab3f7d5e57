import type { IncomingHttpHeaders } from 'node:http';

export interface TokenSources {
  headers: IncomingHttpHeaders;
  cookies?: Record<string, unknown>;
  query?: Record<string, unknown>;
}

/** The token from `Authorization: Bearer`, else the `token` cookie, else the `token` query. */
export function extractToken({ headers, cookies, query }: TokenSources): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const cookie = cookies?.token;
  if (typeof cookie === 'string' && cookie !== '') return cookie;
  const fromQuery = query?.token;
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined;
}
