import * as fc from 'fast-check';
import { Redis } from 'ioredis';
import { rmSync } from 'node:fs';
import { EventHub } from '../src/events/event-hub.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { uniquePrefix } from './support/redis-server.js';
import { RecordingSocket } from './support/socketio-client.js';
import { SseFrameClient } from './support/sse-frame-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const PROCESSES = 3;
const CLIENTS = 4;

type Command =
  | { kind: 'publish'; process: number; count: number }
  | { kind: 'disconnect'; client: number }
  | { kind: 'resume'; client: number; process: number }
  | { kind: 'pause'; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('publish' as const),
    process: fc.nat(PROCESSES - 1),
    count: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({ kind: fc.constant('disconnect' as const), client: fc.nat(CLIENTS - 1) }),
  fc.record({
    kind: fc.constant('resume' as const),
    client: fc.nat(CLIENTS - 1),
    process: fc.nat(PROCESSES - 1),
  }),
  fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 30 }) }),
);

/** One client over its connections: the ids and `resync`s it received, in order. */
class ResumingClient {
  /** Every frame with an event, over every connection: an id, or 'resync'. */
  readonly received: (number | 'resync')[] = [];
  private connection?: SseFrameClient;
  private taken = 0;

  get lastId(): number | undefined {
    return this.received.findLast((item): item is number => item !== 'resync');
  }

  get connected(): boolean {
    return this.connection !== undefined;
  }

  async connect(app: TestApp): Promise<void> {
    const lastId = this.lastId;
    this.connection = await SseFrameClient.stream(app.baseUrl, '/sse', app.admin.token, {
      headers: lastId === undefined ? {} : { 'Last-Event-ID': String(lastId) },
    });
    this.taken = 0;
  }

  /** Takes what the connection received so far into `received`. */
  collect(): void {
    const events = this.connection?.events ?? [];
    for (const frame of events.slice(this.taken)) {
      this.received.push(frame.event === 'resync' ? 'resync' : Number(frame.id));
    }
    this.taken = events.length;
  }

  disconnect(): void {
    this.collect();
    this.connection?.close();
    this.connection = undefined;
  }

  async waitFor(id: number): Promise<void> {
    await this.connection?.waitForId(id, 10_000);
    this.collect();
  }
}

/** The ids of the events in the stream after `afterStreamId`, as Redis holds them: the oracle. */
async function oracleIds(redis: Redis, stream: string, afterStreamId: string): Promise<number[]> {
  const entries = await redis.xrange(stream, `(${afterStreamId}`, '+');
  return entries
    .filter(([, fields]) => fields[fields.indexOf('k') + 1] === 'e')
    .map(([id]) => Number.parseInt(id, 10));
}

/**
 * Checks a client against the oracle: its ids strictly rise, and between its first and its last
 * they are exactly the oracle's, except right after a `resync`.
 */
function checkClient(received: (number | 'resync')[], oracle: number[]): void {
  const ids = received.filter((item): item is number => item !== 'resync');
  for (let index = 1; index < ids.length; index++)
    expect(ids[index]).toBeGreaterThan(ids[index - 1]);
  if (ids.length === 0) return;
  let expectedAt = oracle.indexOf(ids[0]);
  expect(expectedAt).toBeGreaterThanOrEqual(0);
  let afterResync = false;
  for (const item of received) {
    if (item === 'resync') {
      afterResync = true;
      continue;
    }
    if (afterResync) expectedAt = oracle.indexOf(item);
    expect(item).toBe(oracle[expectedAt]);
    expectedAt += 1;
    afterResync = false;
  }
}

describe('EVENT_BUS=redis, property: clients resuming on any process miss nothing silently', () => {
  const prefix = uniquePrefix();
  const stream = `${prefix}:events`;
  let apps: TestApp[];
  let redis: Redis;

  beforeAll(async () => {
    const first = await createTestApp({ EVENT_BUS: 'redis', REDIS_PREFIX: prefix });
    const others = await Promise.all(
      Array.from({ length: PROCESSES - 1 }, () =>
        createTestApp({ EVENT_BUS: 'redis', REDIS_PREFIX: prefix, DATA_DIR: first.dataDir }),
      ),
    );
    apps = [first, ...others];
    redis = new Redis();
  }, 30_000);
  afterAll(async () => {
    redis.disconnect();
    const dataDir = apps[0].dataDir;
    for (const app of apps.toReversed()) {
      // The first process's data (and database) goes with it; the others share them.
      // oxlint-disable-next-line no-await-in-loop -- one process after another, the first last
      await app.close({ keepData: app !== apps[0] });
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives Socket.IO the ids SSE has, on any process, and resumes it on another', async () => {
    const [a, b] = apps;
    const library = await a.createLibrary({ name: 'Both transports' });
    const socket = await RecordingSocket.open(a.baseUrl, { query: { token: a.admin.token } });
    const sse = await SseFrameClient.stream(b.baseUrl, '/sse', b.admin.token);
    for (let index = 0; index < 4; index++) {
      apps[index % PROCESSES].app.get(EventsPublisher).tags(library, []);
    }
    await socket.waitFor(4);
    await sse.waitUntil((client) => client.events.length >= 4);
    const ids = socket.events.map((event) => event.id);
    expect(ids).toEqual(sse.ids);
    await socket.close();
    sse.close();

    for (let index = 0; index < 3; index++) b.app.get(EventsPublisher).tags(library, []);
    const resumed = await RecordingSocket.open(b.baseUrl, {
      query: { token: b.admin.token },
      auth: { lastEventId: ids[1] },
    });
    await resumed.waitFor(5);
    const last = ids[3] as number;
    expect(resumed.events.map((event) => event.id)).toEqual([
      ids[2],
      last,
      last + 1,
      last + 2,
      last + 3,
    ]);
    await resumed.close();
  });

  it('each client gets every event in order, or resync before a gap', async () => {
    const library = await apps[0].createLibrary({ name: 'Property' });
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 5, maxLength: 25 }),
        fc.array(fc.nat(PROCESSES - 1), { minLength: CLIENTS, maxLength: CLIENTS }),
        async (commands, homes) => {
          const [newest] = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
          const startedAfter = newest?.[0] ?? '0-0';
          const clients = homes.map(() => new ResumingClient());
          await Promise.all(clients.map((client, index) => client.connect(apps[homes[index]])));
          for (const step of commands) {
            if (step.kind === 'publish') {
              const publisher = apps[step.process].app.get(EventsPublisher);
              for (let index = 0; index < step.count; index++) publisher.tags(library, []);
            } else if (step.kind === 'disconnect') {
              clients[step.client].disconnect();
            } else if (step.kind === 'resume' && !clients[step.client].connected) {
              // oxlint-disable-next-line no-await-in-loop -- the scenario runs in its order
              await clients[step.client].connect(apps[step.process]);
            } else if (step.kind === 'pause') {
              // oxlint-disable-next-line no-await-in-loop -- the scenario runs in its order
              await new Promise((resolve) => setTimeout(resolve, step.ms));
            }
          }
          await Promise.all(
            clients.map((client, index) =>
              client.connected ? Promise.resolve() : client.connect(apps[homes[index]]),
            ),
          );
          // Reaches every client, whatever it received before: where each one's check ends.
          apps[0].app.get(EventsPublisher).tags(library, []);
          const oracle = await waitForOracle(redis, stream, startedAfter, apps);
          await Promise.all(clients.map((client) => client.waitFor(oracle.at(-1) as number)));
          for (const client of clients) {
            client.disconnect();
            checkClient(client.received, oracle);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});

/** The oracle once every process's events are in the stream and every process delivered them. */
async function waitForOracle(
  redis: Redis,
  stream: string,
  startedAfter: string,
  apps: TestApp[],
): Promise<number[]> {
  await Promise.all(apps.map((app) => app.app.get(EventsPublisher).delivered(10_000)));
  for (;;) {
    // oxlint-disable-next-line no-await-in-loop -- polls until the last publish is in the stream
    const oracle = await oracleIds(redis, stream, startedAfter);
    const newest = oracle.at(-1);
    if (newest !== undefined && apps.every((app) => app.app.get(EventHub).lastEventId >= newest)) {
      return oracle;
    }
    // oxlint-disable-next-line no-await-in-loop -- polls until the last publish is in the stream
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
