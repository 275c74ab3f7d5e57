import type { WaitResult } from '../generator/protocol.js';
import type { Contender } from '../lib/contenders.js';
import { eventPlan } from '../lib/fleet.js';
import { rssBytes } from '../lib/proc.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';

/**
 * Opens N connections as fast as the server accepts them (with auth where the server has it),
 * measures the idle memory they cost, then publishes one burst in a single request and times
 * it until every connection has everything it may receive.
 */
export function burstCase(
  context: BenchContext,
  contender: Contender,
  n: number,
): Promise<Metrics> {
  return withSession(context, contender, async (session) => {
    const { server, generator } = session;
    const fleet = fleetFor(context, contender, n);
    await sleep(500);
    const rssBefore = rssBytes(server.pid);
    const opened = await session.open(fleet, 'count');
    await sleep(2000);
    const rssIdle = rssBytes(server.pid);

    const plan = eventPlan(fleet, context.options.burstEventsPerConnection);
    const serverCpu = session.serverCpu();
    const generatorCpu = session.generatorCpu();
    const burst = await generator.call<WaitResult>({
      type: 'burst',
      publish: {
        port: server.port,
        path: '/bench/publish',
        headers: server.publishHeaders,
        body: { count: plan.count, size: context.options.eventSize, libraries: plan.libraries },
      },
      expected: plan.expected,
      timeoutMs: context.options.quick ? 10_000 : 20_000,
    });
    const seconds = burst.elapsedMs / 1000;
    return {
      connections: opened.opened,
      failedConnections: opened.failed,
      acceptedPerSecond: opened.opened / (opened.elapsedMs / 1000),
      rssBeforeBytes: rssBefore,
      rssIdleBytes: rssIdle,
      rssPerIdleConnectionBytes: (rssIdle - rssBefore) / Math.max(1, opened.opened),
      eventsPublished: plan.count,
      expectedDeliveries: plan.expected,
      deliveries: burst.received,
      skipped: burst.skipped,
      lostConnections: burst.lost,
      complete: burst.complete,
      burstMs: burst.elapsedMs,
      publishRequestMs: burst.publishMs ?? Number.NaN,
      deliveriesPerSecond: burst.received / seconds,
      serverCpuSeconds: session.serverCpu() - serverCpu,
      generatorCpuSeconds: session.generatorCpu() - generatorCpu,
    };
  });
}
