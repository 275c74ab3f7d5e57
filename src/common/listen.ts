import type { Server } from 'node:net';

/**
 * The accept queue asked of the kernel, which caps it at `net.core.somaxconn`. With Node's
 * default, 511, the clients of a reconnect storm beyond it lose their SYN and wait a second for
 * its retry: 4,852 of the benchmark's 30,000 connections held by two workers.
 */
export const LISTEN_BACKLOG = 4096;

/** Opens the port with Reelay's accept queue; rejects with the error that stopped it. */
export function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
