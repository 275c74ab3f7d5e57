/* oxlint-disable no-await-in-loop -- /health is probed one request at a time */
import type { Counts } from '../generator/protocol.js';
import type { Contender } from '../lib/contenders.js';
import { rssBytes } from '../lib/proc.js';
import { callJson } from '../lib/rest.js';
import { percentileOfSorted } from '../lib/stats.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';
import { Ticker } from './ticker.js';

/** Reelay's default bound per connection (SSE_MAX_QUEUE_BYTES), which the bench leaves as is. */
export const REELAY_QUEUE_BOUND_BYTES = 1024 * 1024;

const SAMPLE_EVERY_MS = 250;

/**
 * Connections that read their response head and then never read again, while events keep
 * coming: what the server's memory does, and whether it still answers `/health` meanwhile.
 * Reelay's connections belong to server admins, so that every event is meant for every one.
 */
export function stalledCase(context: BenchContext, contender: Contender): Promise<Metrics> {
  const { options } = context;
  return withSession(context, contender, async (session) => {
    const { server, generator } = session;
    const fleet = fleetFor(context, contender, options.stalledConnections, {
      onlyServerAdmins: true,
    });
    const opened = await session.open(fleet, 'stall');
    await sleep(1000);
    const rssBefore = rssBytes(server.pid);
    let rssPeak = rssBefore;
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
      rssPeak = Math.max(rssPeak, rssBytes(server.pid));
      await sleep(Math.max(0, SAMPLE_EVERY_MS - (performance.now() - start)));
    }
    await ticker.stop();
    await sleep(1000);
    const rssAfter = rssBytes(server.pid);
    rssPeak = Math.max(rssPeak, rssAfter);
    const status = await generator.call<Counts>({ type: 'status' });
    const queued =
      server.name === 'reelay'
        ? await callJson<{ sse: { queuedBytes: number } }>(server.baseUrl, 'GET', '/events/stats', {
            token: context.launcher.world.adminToken,
          }).then((stats) => stats.sse.queuedBytes)
        : Number.NaN;
    healthMs.sort((a, b) => a - b);
    const growth = rssPeak - rssBefore;
    return {
      connections: opened.opened,
      failedConnections: opened.failed,
      stillOpen: status.open,
      eventsPublished: ticker.published,
      bytesSentPerClient: ticker.published * options.stalledEventSize,
      missedTicks: ticker.missed,
      rssBeforeBytes: rssBefore,
      rssPeakBytes: rssPeak,
      rssGrowthBytes: growth,
      rssGrowthPerClientBytes: growth / Math.max(1, opened.opened),
      reelayQueuedBytes: queued,
      healthChecks: healthMs.length,
      healthFailures,
      healthP50Ms: percentileOfSorted(healthMs, 50),
      healthMaxMs: healthMs.length > 0 ? healthMs[healthMs.length - 1] : Number.NaN,
      serverCpuSeconds: session.serverCpu() - serverCpu,
    };
  });
}
