import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { ServerLauncher, type RunningServer } from '../bench/lib/servers.js';
import { PatternCounter } from '../bench/lib/sse-scan.js';
import { passes } from './support/eventually.js';

/** A raw-socket EventSource request, as the bench's load generator sends it; all it received. */
function subscribe(port: number, path: string): { socket: Socket; received: () => string } {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  return { socket, received: () => text };
}

const frames = (text: string) => new PatternCounter('\nid: ').count(Buffer.from(text, 'latin1'));

describe('the nginx+nchan contender of the benchmark (Debian nginx with libnginx-mod-nchan)', () => {
  let launcher: ServerLauncher;
  let server: RunningServer | undefined;

  beforeAll(() => {
    launcher = new ServerLauncher();
  });
  afterAll(async () => {
    await server?.stop();
    launcher.close();
  });

  it('starts one nginx worker, delivers what is published in the libraries a client asked for as medias frames, and stops', async () => {
    server = await launcher.start('nchan');
    expect(server.pids()).toHaveLength(2);
    const client = subscribe(server.port, '/sse?libraries=lib-a,lib-b');
    await passes(() => expect(client.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/));

    await server.publishOne('lib-b', 300);
    await server.publishOne('lib-c', 300);
    await server.publishOne('lib-a', 300);
    await passes(() => expect(frames(client.received())).toBe(2));
    const events = [
      ...client.received().matchAll(/event: medias\nid: [^\n]+\ndata: ([^\n]+)\n\n/g),
    ];
    const messages = events.map((match) => JSON.parse(match[1]) as { Medias: { library: string } });
    expect(messages.map((message) => message.Medias.library)).toEqual(['lib-b', 'lib-a']);
    expect(events[0][0].length).toBeGreaterThan(300);
    // The bench reads its memory and CPU from /proc, over both processes.
    expect(server.rss()).toBeGreaterThan(1024 * 1024);

    const processes = server.pids().map((pid) => `/proc/${pid}`);
    client.socket.destroy();
    await server.stop();
    server = undefined;
    expect(processes.filter((path) => existsSync(path))).toEqual([]);
  }, 30_000);
});
