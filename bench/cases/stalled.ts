/* oxlint-disable no-await-in-loop -- /health is probed one request at a time */
import type { Contender } from '../lib/contenders.js';
import { callJson } from '../lib/rest.js';
import { StalledClients } from '../lib/stalled-clients.js';
import { isReelay } from '../lib/servers.js';
import { percentileOfSorted } from '../lib/stats.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';
import { Ticker } from './ticker.js';

/** Reelay's default bound per connection (SSE_MAX_QUEUE_BYTES), which the bench leaves as is. */
export const REELAY_QUEUE_BOUND_BYTES = 1024 * 1024;

const SAMPLE_EVERY_MS = 250;

interface ServerQueue {
  connections: number;
  queuedBytes: number;
}

/**
 * Connections that read their response head and then never read again, while events keep
 * coming: what the server's memory does, and whether it still answers `/health` meanwhile.
 * Reelay's connections belong to server admins, so that every event is meant for every one.
 * Memory is read after a full GC at both ends (what the server keeps for the stalled clients)
 * and sampled as is in between (the peak).
 */
export function stalledCase(context: BenchContext, contender: Contender): Promise<Metrics> {
  const { options } = context;
  return withSession(context, contender, async (session) => {
    const { server } = session;
    const fleet = fleetFor(context, contender, options.stalledConnections, {
      onlyServerAdmins: true,
    });
    const clients = new StalledClients();
    try {
      const opened = await clients.open(server.port, fleet.specs);
      if (opened.failed > 0) {
        context.log(
          `  ${contender.key}: ${opened.failed} stalled clients failed: ${opened.errors.join(' | ')}`,
        );
      }
      await sleep(500);
      const before = await server.settledMemory();
      let rssPeak = before.rss;
      const healthMs: number[] = [];
      let healthFailures = 0;
      const serverCpu = session.serverCpu();

      const ticker = new Ticker(server, {
        ticksPerSecond: options.stalledEventsPerSecond,
        eventsPerTick: 1,
        libraries: fleet.libraries,
        size: options.stalledEventSize,
      });
      const deadline = performance.now() + options.stalledDurationMs;
      ticker.start();
      while (performance.now() < deadline) {
        const start = performance.now();
        try {
          const response = await fetch(`${server.baseUrl}/health`, {
            signal: AbortSignal.timeout(5000),
          });
          await response.arrayBuffer();
          if (response.ok) healthMs.push(performance.now() - start);
          else healthFailures++;
        } catch {
          healthFailures++;
        }
        rssPeak = Math.max(rssPeak, server.rss());
        await sleep(Math.max(0, SAMPLE_EVERY_MS - (performance.now() - start)));
      }
      await ticker.stop();
      const cpu = session.serverCpu() - serverCpu;
      await sleep(500);
      const after = await server.settledMemory();
      const stillOpen = await clients.stillOpen();
      const queue: ServerQueue | undefined = isReelay(server.name)
        ? await callJson<{ sse: ServerQueue }>(server.baseUrl, 'GET', '/events/stats', {
            token: context.launcher.worldOf(server.name).adminToken,
          }).then((stats) => stats.sse)
        : undefined;
      healthMs.sort((a, b) => a - b);
      const perClient = (bytes: number) => bytes / Math.max(1, opened.opened);
      return {
        connections: opened.opened,
        failedConnections: opened.failed,
        stillOpen,
        eventsPublished: ticker.published,
        bytesSentPerClient: ticker.published * options.stalledEventSize,
        missedTicks: ticker.missed,
        rssBeforeBytes: before.rss,
        rssAfterBytes: after.rss,
        rssPeakBytes: rssPeak,
        rssGrowthPerClientBytes: perClient(after.rss - before.rss),
        heapGrowthPerClientBytes: perClient(after.heapUsed - before.heapUsed),
        rssPeakGrowthPerClientBytes: perClient(rssPeak - before.rss),
        reelayQueuedBytesPerClient: queue === undefined ? Number.NaN : perClient(queue.queuedBytes),
        healthChecks: healthMs.length,
        healthFailures,
        healthP50Ms: percentileOfSorted(healthMs, 50),
        healthMaxMs: healthMs.length > 0 ? healthMs[healthMs.length - 1] : Number.NaN,
        serverCpuSeconds: cpu,
      };
    } finally {
      await clients.close();
    }
  });
}
