import type { LatencyResult } from '../generator/protocol.js';
import type { Contender } from '../lib/contenders.js';
import { meanRecipients, reelayFleet } from '../lib/fleet.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';
import { callJson } from '../lib/rest.js';

/**
 * N connections while Reelay publishes `latencyEventsPerSecond` events a second, spread over
 * its libraries, so that each connection receives what its user may see. The other servers
 * send every event to every connection, so they publish fewer events a second: as many as give
 * each connection the same rate as on Reelay. Each server paces the events itself (one every
 * intervalMs, from one bench publish request), so no HTTP request stands between two events;
 * the generator reads each frame's send time and keeps receive minus send.
 */
export function latencyCase(context: BenchContext, contender: Contender): Promise<Metrics> {
  const { options } = context;
  const n = options.latencyConnections;
  const reference = reelayFleet(context.launcher.worldOf('reelay'), n, '/sse', {
    filterEvery: 4,
  });
  const perConnectionRate = (options.latencyEventsPerSecond * meanRecipients(reference)) / n;
  return withSession(context, contender, async (session) => {
    const { server, generator } = session;
    const fleet = fleetFor(context, contender, n);
    const publishRate = (perConnectionRate * n) / meanRecipients(fleet);
    const opened = await session.open(fleet, 'latency');
    await sleep(500);
    const scheduleMs = options.latencyWarmupMs + options.latencyWindowMs + 1000;
    await callJson(server.baseUrl, 'POST', '/bench/publish', {
      headers: server.publishHeaders,
      body: {
        count: Math.ceil((publishRate * scheduleMs) / 1000),
        size: options.eventSize,
        libraries: fleet.libraries,
        intervalMs: 1000 / publishRate,
      },
    });
    await sleep(options.latencyWarmupMs);
    await generator.call({ type: 'reset', recordLatency: true });
    const serverCpu = session.serverCpu();
    const generatorCpu = session.generatorCpu();
    const machine = session.watchMachine();
    await sleep(options.latencyWindowMs);
    const share = machine();
    const result = await generator.call<LatencyResult>({ type: 'latency' });
    const windowSeconds = result.windowMs / 1000;
    return {
      connections: opened.opened,
      failedConnections: opened.failed,
      eventsPerSecond: publishRate,
      eventsPerConnectionPerSecond: result.received / windowSeconds / Math.max(1, opened.opened),
      targetPerConnectionPerSecond: perConnectionRate,
      deliveriesPerSecond: result.received / windowSeconds,
      samples: result.count,
      skipped: result.skipped,
      lostConnections: result.lost,
      p50Ms: result.p50,
      p90Ms: result.p90,
      p99Ms: result.p99,
      p999Ms: result.p999,
      maxMs: result.max,
      serverCpuPerSecond: (session.serverCpu() - serverCpu) / windowSeconds,
      generatorCpuPerSecond: (session.generatorCpu() - generatorCpu) / windowSeconds,
      machineBusyShare: share.busyShare,
      otherProcessesCores: share.otherCores,
    };
  });
}
