import type { LatencyResult } from '../generator/protocol.js';
import type { Contender } from '../lib/contenders.js';
import { eventsPerTick } from '../lib/fleet.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';
import { Ticker } from './ticker.js';

/**
 * N connections each receiving about `latencyEventsPerSecond` events a second, published one
 * tick at a time; the generator reads each frame's send time and keeps receive minus send.
 */
export function latencyCase(context: BenchContext, contender: Contender): Promise<Metrics> {
  const { options } = context;
  return withSession(context, contender, async (session) => {
    const { server, generator } = session;
    const fleet = fleetFor(context, contender, options.latencyConnections);
    const opened = await session.open(fleet, 'latency');
    await sleep(500);
    const ticker = new Ticker(server, {
      ticksPerSecond: options.latencyEventsPerSecond,
      eventsPerTick: eventsPerTick(fleet),
      libraries: fleet.libraries,
      size: options.eventSize,
    });
    ticker.start();
    await sleep(options.latencyWarmupMs);
    await generator.call({ type: 'reset', recordLatency: true });
    const serverCpu = session.serverCpu();
    const generatorCpu = session.generatorCpu();
    const ticks = ticker.published;
    await sleep(options.latencyWindowMs);
    const result = await generator.call<LatencyResult>({ type: 'latency' });
    const windowSeconds = result.windowMs / 1000;
    const publishedTicks = ticker.published - ticks;
    await ticker.stop();
    return {
      connections: opened.opened,
      failedConnections: opened.failed,
      eventsPerTick: eventsPerTick(fleet),
      ticksPerSecond: publishedTicks / windowSeconds,
      missedTicks: ticker.missed,
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
    };
  });
}
