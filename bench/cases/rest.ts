import type { Contender } from '../lib/contenders.js';
import { KeepAliveClient } from '../lib/keep-alive-client.js';
import { CLOCK_TICKS_PER_SECOND, cpuSeconds, machineTicks } from '../lib/proc.js';
import type { ReelayWorld, WorldUser } from '../lib/reelay-world.js';
import type { RunningServer } from '../lib/servers.js';
import { summariseLatencies } from '../lib/stats.js';
import type { BenchContext, Metrics } from './context.js';

/** The medias of the library the clients list: a few hundred, a real library's order. */
export const REST_LIBRARY_MEDIAS = 500;
/** The page a client lists: the API's default size (DEFAULT_PAGE_SIZE). */
export const REST_PAGE_SIZE = 100;

export type RestCallKey = 'list' | 'create' | 'progress';

/** The calls measured, in the order they are measured, as the report names them. */
export const REST_CALLS: readonly { key: RestCallKey; label: string }[] = [
  {
    key: 'list',
    label: `GET /libraries/:id/medias, pages of ${REST_PAGE_SIZE} of ${REST_LIBRARY_MEDIAS}`,
  },
  { key: 'create', label: 'POST /libraries/:id/medias' },
  { key: 'progress', label: 'PUT /libraries/:id/medias/:mediaId/progress' },
];

/** The metric that counts a call's failed requests: when not 0, the call has no latency. */
export function failedRequestsMetric(call: RestCallKey): string {
  return `${call}FailedRequests`;
}

interface RestRequest {
  method: string;
  path: string;
  body?: unknown;
  /** The status every answer must have; anything else is a failed request. */
  expected: number;
}

interface CallRun {
  /** Latencies of the requests answered as expected, in ms. */
  samples: Float64Array;
  failed: number;
  /** The first few distinct failures, for the log. */
  failures: string[];
  elapsedMs: number;
}

/** A media as clients create it from its metadata alone (no file). */
function newMedia(index: number): Record<string, unknown> {
  return {
    name: `Bench media ${index}.mkv`,
    description: 'Created by the rest case of the benchmark',
    durationMs: 5_400_000,
    width: 1920,
    height: 1080,
  };
}

/**
 * Sends `count` requests over `tokens.length` clients, each one request after the other (its
 * next only once the previous answered), every answer checked.
 */
async function runRequests(
  client: KeepAliveClient,
  tokens: readonly string[],
  count: number,
  requestOf: (index: number) => RestRequest,
  onAnswer?: (body: string) => void,
): Promise<CallRun> {
  const samples = new Float64Array(count);
  let answered = 0;
  let failed = 0;
  const failures = new Set<string>();
  let next = 0;
  const start = performance.now();
  const oneClient = async (token: string) => {
    while (next < count) {
      const wanted = requestOf(next++);
      // oxlint-disable-next-line no-await-in-loop -- a client waits for each answer
      const response = await client.send(wanted.method, wanted.path, token, wanted.body);
      if (response.status === wanted.expected) {
        samples[answered++] = response.ms;
        onAnswer?.(response.body);
      } else {
        failed++;
        if (failures.size < 3) {
          failures.add(
            `${wanted.method} ${response.status} ${response.error ?? response.body.slice(0, 200)}`,
          );
        }
      }
    }
  };
  await Promise.all(tokens.map(oneClient));
  return {
    samples: samples.slice(0, answered),
    failed,
    failures: [...failures],
    elapsedMs: performance.now() - start,
  };
}

const canWrite = (user: WorldUser, library: string) =>
  user.serverAdmin || user.grants[library] === 'write' || user.grants[library] === 'admin';

/**
 * The library most users may write to, and the tokens of `count` of them, one per client (the
 * same user again when there are fewer). Users with a grant come first, server admins only if
 * too few: most users of a real library hold a grant on it.
 */
function clientsOfBusiestLibrary(
  world: ReelayWorld,
  count: number,
): { library: string; tokens: string[] } {
  const writers = (library: string) => world.users.filter((user) => canWrite(user, library));
  const library = world.libraries.reduce((busiest, candidate) =>
    writers(candidate).length > writers(busiest).length ? candidate : busiest,
  );
  const users = writers(library).sort((a, b) => Number(a.serverAdmin) - Number(b.serverAdmin));
  return {
    library,
    tokens: Array.from({ length: count }, (_, i) => users[i % users.length].token),
  };
}

/** CPU seconds of each of the database's backends now (none on SQLite). */
async function databaseCpu(server: RunningServer): Promise<Map<number, number>> {
  const readings = new Map<number, number>();
  for (const pid of await server.databasePids()) {
    try {
      readings.set(pid, cpuSeconds(pid));
    } catch {
      // the backend ended meanwhile
    }
  }
  return readings;
}

/** CPU seconds the backends used since `before` (those that began meanwhile: all of theirs). */
function databaseCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Reelay's common REST calls on each database engine: `restClients` clients, each with its own
 * user's token and one kept-alive connection, send `restRequests` requests of each call, after
 * `restWarmupRequests` untimed ones: list a page of a library of REST_LIBRARY_MEDIAS medias
 * (the pages in turn), create a media by its metadata, set one's playback progress on one of
 * them. Every answer's status is checked; a call with a failed request reports how many, and
 * no latency. The CPU of the server, and on PostgreSQL of the backends serving its database,
 * is read for each call; whatever else the machine's processes used meanwhile is reported as
 * other processes' cores (the PostgreSQL server's own background processes among them).
 */
export async function restCase(context: BenchContext, contender: Contender): Promise<Metrics> {
  const { options } = context;
  const server = await context.launcher.start(contender.server, { label: context.label });
  const client = new KeepAliveClient(server.port, options.restClients);
  try {
    const { library, tokens } = clientsOfBusiestLibrary(
      context.launcher.worldOf(server.name),
      options.restClients,
    );
    const medias = `/libraries/${library}/medias`;
    let created = 0;
    const create = (): RestRequest => ({
      method: 'POST',
      path: medias,
      body: newMedia(++created),
      expected: 201,
    });
    const mediaIds: string[] = [];
    const filled = await runRequests(client, tokens, REST_LIBRARY_MEDIAS, create, (body) =>
      mediaIds.push((JSON.parse(body) as { id: string }).id),
    );
    if (filled.failed > 0) {
      throw new Error(
        `${filled.failed} of ${REST_LIBRARY_MEDIAS} medias not created: ${filled.failures.join(' | ')}`,
      );
    }
    const pages = Math.ceil(REST_LIBRARY_MEDIAS / REST_PAGE_SIZE);
    const requestOf: Record<RestCallKey, (index: number) => RestRequest> = {
      list: (index) => ({
        method: 'GET',
        path: `${medias}?limit=${REST_PAGE_SIZE}&offset=${(index % pages) * REST_PAGE_SIZE}`,
        expected: 200,
      }),
      // Into the same library, once it has been listed: the list always sees the same medias.
      create,
      progress: (index) => ({
        method: 'PUT',
        path: `${medias}/${mediaIds[index % mediaIds.length]}/progress`,
        body: { progress: (index * 1000) % 5_400_000 },
        expected: 200,
      }),
    };
    const metrics: Metrics = {
      clients: tokens.length,
      libraryMedias: REST_LIBRARY_MEDIAS,
    };
    let otherCores = 0;
    for (const call of REST_CALLS) {
      // oxlint-disable-next-line no-await-in-loop -- one call after the other, never together
      await runRequests(client, tokens, options.restWarmupRequests, requestOf[call.key]);
      // The backends are read outside the machine's window: the query has a backend of its own.
      // oxlint-disable-next-line no-await-in-loop -- see above
      const backends = await databaseCpu(server);
      const ticks = machineTicks();
      const serverCpu = server.cpuSeconds();
      const ownCpu = ownCpuSeconds();
      // oxlint-disable-next-line no-await-in-loop -- see above
      const run = await runRequests(client, tokens, options.restRequests, requestOf[call.key]);
      const processSeconds = (machineTicks().processes - ticks.processes) / CLOCK_TICKS_PER_SECOND;
      const serverSeconds = server.cpuSeconds() - serverCpu;
      const ownSeconds = ownCpuSeconds() - ownCpu;
      // oxlint-disable-next-line no-await-in-loop -- see above
      const databaseSeconds = databaseCpuSince(backends, await databaseCpu(server));
      otherCores = Math.max(
        otherCores,
        Math.max(0, processSeconds - serverSeconds - databaseSeconds - ownSeconds) /
          (run.elapsedMs / 1000),
      );
      if (run.failed > 0) {
        context.log(
          `  ${contender.key}: ${run.failed} of ${options.restRequests} ${call.label} failed: ${run.failures.join(' | ')}`,
        );
      }
      const latency = summariseLatencies(run.samples);
      Object.assign(metrics, {
        [`${call.key}Requests`]: options.restRequests,
        [failedRequestsMetric(call.key)]: run.failed,
        [`${call.key}RequestsPerSecond`]: options.restRequests / (run.elapsedMs / 1000),
        [`${call.key}CpuMsPerRequest`]:
          ((serverSeconds + databaseSeconds) * 1000) / options.restRequests,
        [`${call.key}ServerCpuMsPerRequest`]: (serverSeconds * 1000) / options.restRequests,
        [`${call.key}DatabaseCpuMsPerRequest`]: (databaseSeconds * 1000) / options.restRequests,
        // A latency of the answered requests alone would flatter a run in which some failed.
        ...(run.failed > 0
          ? {}
          : {
              [`${call.key}P50Ms`]: latency.p50,
              [`${call.key}P90Ms`]: latency.p90,
              [`${call.key}P99Ms`]: latency.p99,
              [`${call.key}MaxMs`]: latency.max,
            }),
      });
    }
    return {
      ...metrics,
      connectionsOpened: client.connectionsOpened,
      otherProcessesCores: otherCores,
    };
  } finally {
    client.close();
    await server.stop();
  }
}
