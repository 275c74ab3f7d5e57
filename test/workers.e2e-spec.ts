import { execFileSync } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import request from 'supertest';
import { Scrape } from './support/prometheus-text.js';
import { uniquePrefix } from './support/redis-server.js';
import {
  builtServerSuite,
  freePort,
  listenBacklog,
  openSse,
  type RunningServer,
} from './support/server-process.js';
import { RecordingSocket } from './support/socketio-client.js';

const STACK_LINE = /^\s+at\s/m;
const PASSWORD = 'admin-password';

/** The pids of the processes `parent` started (the cluster's workers). */
function childrenOf(parent: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function addLibrary(server: RunningServer, name: string): Promise<void> {
  await request(server.url)
    .post('/libraries')
    .set('Authorization', `Bearer ${server.token}`)
    .send({ name, type: 'photos' })
    .expect(201);
}

/** Polling-only Socket.IO clients: every request of a session must reach the worker holding it. */
function pollingClients(server: RunningServer, count: number): Promise<RecordingSocket[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      RecordingSocket.open(server.url, { transports: ['polling'], query: { token: server.token } }),
    ),
  );
}

interface PlainResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request through `agent` (one kept-alive connection at most), redirects not followed. */
function send(agent: Agent, url: string, method = 'GET', body?: string): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { agent, method }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A polling session's id, opened on a connection of its own (the primary picks its worker). */
async function pollingSession(server: RunningServer): Promise<string> {
  const agent = new Agent({ keepAlive: false });
  const handshake = await send(
    agent,
    `${server.url}/socket.io/?EIO=4&transport=polling&token=${server.token}`,
  );
  expect(handshake.status).toBe(200);
  return (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
}

describe('WORKERS: one port, several processes (node:cluster)', () => {
  const suite = builtServerSuite('reelay-workers-');

  /** Two workers on the Redis bus, on a port of their own. */
  const bootTwoWorkers = (env: Record<string, string> = {}) =>
    suite.build.boot(
      {
        WORKERS: '2',
        EVENT_BUS: 'redis',
        REDIS_PREFIX: uniquePrefix(),
        PORT: '0',
        ADMIN_PASSWORD: PASSWORD,
        ...env,
      },
      suite.workDir,
    );

  it('refuses WORKERS above 1 without the Redis bus, with a clear message', async () => {
    const server = await suite.build.spawn(
      { WORKERS: '2', PORT: '0', ADMIN_PASSWORD: PASSWORD },
      suite.workDir,
    );
    expect((await server.exited).code).toBe(1);
    expect(server.stderr).toContain(
      'WORKERS=2 needs EVENT_BUS=redis: every process must deliver the events of all of them',
    );
    expect(server.stderr).not.toMatch(STACK_LINE);
  });

  it('serves one port from two workers: the same events everywhere, polling sessions kept on their worker, a dead worker replaced', async () => {
    const server = await bootTwoWorkers();
    expect(server.process.stdout).toMatch(/Listening on http:\/\/127\.0\.0\.1:\d+ with 2 workers/);
    // One log, on the primary's stdout: each worker's lines name it, the primary's name none.
    const lines = server.process.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { message: string; pid: number; worker?: number });
    const listening = lines.find((line) => line.message.startsWith('Listening on'));
    expect(listening).toMatchObject({ pid: server.process.child.pid });
    expect(listening?.worker).toBeUndefined();
    expect(new Set(lines.map((line) => line.worker))).toEqual(new Set([undefined, 0, 1]));
    const primary = server.process.child.pid as number;
    expect(childrenOf(primary)).toHaveLength(2);
    const backlog = await listenBacklog(Number(new URL(server.url).port));
    expect(backlog.actual).toBe(backlog.expected);

    const clients = await pollingClients(server, 6);
    const sessions = clients.map((client) => client.socket.io.engine.id);
    expect(new Set(sessions.map((id) => id.slice(0, 3)))).toEqual(new Set(['w0-', 'w1-']));
    const sse = await openSse(server);
    for (const name of ['One', 'Two', 'Three']) {
      // oxlint-disable-next-line no-await-in-loop -- in order, one event each
      await addLibrary(server, name);
    }
    await sse.waitUntil((client) => client.events.length >= 3);
    const ids = sse.ids;
    await Promise.all(clients.map((client) => client.waitFor(3)));
    for (const client of clients) expect(client.events.map((event) => event.id)).toEqual(ids);
    await Promise.all(clients.map((client) => client.close()));
    sse.close();

    const [doomed] = childrenOf(primary);
    process.kill(doomed, 'SIGKILL');
    const output = () => server.process.stdout + server.process.stderr;
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 20_000;
      const check = () => {
        if (/Worker \d is back/.test(output())) return resolve();
        if (Date.now() > deadline) return reject(new Error(`no worker came back:\n${output()}`));
        setTimeout(check, 100);
      };
      check();
    });
    expect(output()).toMatch(/Worker \d stopped \(SIGKILL\)/);
    const workers = childrenOf(primary);
    expect(workers).toHaveLength(2);
    expect(workers).not.toContain(doomed);
    const after = await pollingClients(server, 4);
    expect(new Set(after.map((client) => client.socket.io.engine.id.slice(0, 3)))).toEqual(
      new Set(['w0-', 'w1-']),
    );
    await addLibrary(server, 'Four');
    await Promise.all(after.map((client) => client.waitFor(1)));
    expect(new Set(after.map((client) => client.events[0].id))).toEqual(new Set([ids[2] + 1]));
    await Promise.all(after.map((client) => client.close()));

    expect(await server.process.stop()).toMatchObject({ code: 0 });
    expect(childrenOf(primary)).toEqual([]);
  }, 60_000);

  it("answers a scrape for every worker, on the API port and on the primary's METRICS_PORT", async () => {
    const metricsPort = await freePort();
    const server = await bootTwoWorkers({ METRICS_PORT: String(metricsPort) });
    const clients = await pollingClients(server, 4);
    for (const name of ['One', 'Two', 'Three']) {
      // oxlint-disable-next-line no-await-in-loop -- in order, one event each
      await addLibrary(server, name);
    }
    await Promise.all(clients.map((client) => client.waitFor(3)));
    const scrapes = [
      // Each request may reach either worker: every one must answer for both.
      ...(await Promise.all(
        [1, 2, 3, 4].map(() =>
          request(server.url)
            .get('/metrics')
            .set('Authorization', `Bearer ${server.token}`)
            .expect(200),
        ),
      )),
      await request(`http://127.0.0.1:${metricsPort}`).get('/metrics').expect(200),
    ].map((response) => new Scrape(response.text));
    for (const scrape of scrapes) {
      expect(scrape.value('reelay_events_published_total', { type: 'library' })).toBe(3);
      expect(scrape.value('reelay_event_deliveries_total', { transport: 'socketio' })).toBe(12);
      expect(scrape.value('reelay_stream_connections', { transport: 'socketio' })).toBe(4);
      expect(scrape.value('reelay_event_bus_read_lag')).toBe(0);
    }
    await Promise.all(clients.map((client) => client.close()));
  }, 60_000);

  it("sends a polling request that reached another session's worker on a kept-alive connection back to its worker", async () => {
    const server = await bootTwoWorkers();
    const sessions = new Map<string, string>();
    while (sessions.size < 2) {
      // oxlint-disable-next-line no-await-in-loop -- until each worker holds a session
      const sid = await pollingSession(server);
      sessions.set(sid.slice(0, 3), sid);
    }
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const connect = (sid: string) =>
      send(agent, `${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, 'POST', '40');
    // The kept-alive connection now belongs to one worker; one of the two sessions is the other's.
    expect((await send(agent, `${server.url}/health`)).status).toBe(200);
    const answers = [
      await connect(sessions.get('w0-') ?? ''),
      await connect(sessions.get('w1-') ?? ''),
    ];
    const redirected = answers.filter((answer) => answer.status === 307);
    expect(answers.filter((answer) => answer.status === 200).map((answer) => answer.body)).toEqual([
      'ok',
    ]);
    expect(redirected).toHaveLength(1);
    expect(redirected[0].headers.connection).toBe('close');
    const location = String(redirected[0].headers.location);
    expect(location).toMatch(/^\/socket\.io\/\?EIO=4&transport=polling&sid=w[01]-/);
    // Followed on a new connection (the agent's kept-alive one may be the other worker's again),
    // it reaches the session's worker.
    agent.destroy();
    const fresh = new Agent({ keepAlive: false });
    const followed = await send(fresh, `${server.url}${location}`, 'POST', '40');
    expect(followed).toMatchObject({ status: 200, body: 'ok' });
  }, 60_000);
});
