import type { Transport } from '../generator/protocol.js';
import type { ServerName } from './servers.js';

export const CONTENDER_KEYS = [
  'reelay-sse',
  'plain-http',
  'nest-sse',
  'reelay-socketio',
  'plain-socketio',
  'reelay-redis',
  'reelay-2w',
  'reelay-postgres',
  'reelay-observe',
  'reelay-scraped',
  'nginx-nchan',
] as const;

export type ContenderKey = (typeof CONTENDER_KEYS)[number];

export interface Contender {
  key: ContenderKey;
  label: string;
  server: ServerName;
  transport: Transport;
  path: string;
}

export const CONTENDERS: Record<ContenderKey, Contender> = {
  'reelay-sse': {
    key: 'reelay-sse',
    label: 'Reelay /sse',
    server: 'reelay',
    transport: 'sse',
    path: '/sse',
  },
  'plain-http': {
    key: 'plain-http',
    label: 'plain node:http',
    server: 'plain-http',
    transport: 'sse',
    path: '/sse',
  },
  'nest-sse': {
    key: 'nest-sse',
    label: 'Nest @Sse',
    server: 'nest-sse',
    transport: 'sse',
    path: '/sse',
  },
  'reelay-socketio': {
    key: 'reelay-socketio',
    label: 'Reelay Socket.IO',
    server: 'reelay',
    transport: 'socketio',
    path: '/socket.io',
  },
  'plain-socketio': {
    key: 'plain-socketio',
    label: 'plain Socket.IO',
    server: 'plain-socketio',
    transport: 'socketio',
    path: '/socket.io',
  },
  'reelay-redis': {
    key: 'reelay-redis',
    label: 'Reelay /sse, Redis bus',
    server: 'reelay-redis',
    transport: 'sse',
    path: '/sse',
  },
  'reelay-2w': {
    key: 'reelay-2w',
    label: 'Reelay /sse, 2 workers',
    server: 'reelay-2w',
    transport: 'sse',
    path: '/sse',
  },
  'reelay-postgres': {
    key: 'reelay-postgres',
    label: 'Reelay /sse, PostgreSQL',
    server: 'reelay-postgres',
    transport: 'sse',
    path: '/sse',
  },
  'reelay-observe': {
    key: 'reelay-observe',
    label: 'Reelay observe() under @Sse',
    server: 'reelay',
    transport: 'sse',
    path: '/observed',
  },
  'reelay-scraped': {
    key: 'reelay-scraped',
    label: 'Reelay /sse, /metrics scraped every second',
    server: 'reelay-scraped',
    transport: 'sse',
    path: '/sse',
  },
  'nginx-nchan': {
    key: 'nginx-nchan',
    label: 'nginx+nchan',
    server: 'nchan',
    transport: 'sse',
    path: '/sse',
  },
};

/** The contenders of the shared bus (EVENT_BUS=redis), measured against `reelay-sse`. */
export function onRedisBus(contender: Contender): boolean {
  return contender.key === 'reelay-redis' || contender.key === 'reelay-2w';
}

/** The contender whose metrics a scraper reads all along, measured against `reelay-sse`'s bursts. */
export function scraped(contender: Contender): boolean {
  return contender.key === 'reelay-scraped';
}

/**
 * nginx with nchan: it publishes one event per request (no burst in one request, no timed
 * publishing), so it is measured where events trickle, one request after the other.
 */
export function onNchan(contender: Contender): boolean {
  return contender.key === 'nginx-nchan';
}

/** The contender on PostgreSQL (DATABASE_URL), measured against `reelay-sse` on SQLite. */
export function onPostgres(contender: Contender): boolean {
  return contender.key === 'reelay-postgres';
}
