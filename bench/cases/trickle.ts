/* oxlint-disable no-await-in-loop -- a trickle is one request after the other */
import type { WaitResult } from '../generator/protocol.js';
import type { Contender } from '../lib/contenders.js';
import { eventPlan } from '../lib/fleet.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';

/**
 * Events trickle in, one per request, one request after the other: the server's CPU time per
 * delivery, read from /proc, which a slow generator cannot hide.
 */
export function trickleCase(context: BenchContext, contender: Contender): Promise<Metrics> {
  const { options } = context;
  return withSession(context, contender, async (session) => {
    const { server, generator } = session;
    const fleet = fleetFor(context, contender, options.trickleConnections);
    const opened = await session.open(fleet, 'count');
    const plan = eventPlan(fleet, options.trickleEventsPerConnection);
    await sleep(1000);
    await generator.call({ type: 'reset', recordLatency: false });
    const serverCpu = session.serverCpu();
    const generatorCpu = session.generatorCpu();
    const start = performance.now();
    for (let i = 0; i < plan.count; i++) {
      const response = await fetch(`${server.baseUrl}/bench/publish`, {
        method: 'POST',
        headers: { ...server.publishHeaders, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          count: 1,
          size: options.eventSize,
          libraries: [plan.libraries[i % plan.libraries.length]],
        }),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`publish failed: ${response.status}`);
      await sleep(1);
    }
    const done = await generator.call<WaitResult>({
      type: 'await',
      expected: plan.expected,
      timeoutMs: 30_000,
    });
    const elapsedSeconds = (performance.now() - start) / 1000;
    const cpu = session.serverCpu() - serverCpu;
    return {
      connections: opened.opened,
      failedConnections: opened.failed,
      requests: plan.count,
      expectedDeliveries: plan.expected,
      deliveries: done.received,
      skipped: done.skipped,
      complete: done.complete,
      elapsedSeconds,
      serverCpuSeconds: cpu,
      cpuSecondsPer100kDeliveries: (cpu / Math.max(1, done.received)) * 100_000,
      deliveriesPerCpuSecond: done.received / cpu,
      generatorCpuSeconds: session.generatorCpu() - generatorCpu,
    };
  });
}
