/* oxlint-disable no-await-in-loop -- a trickle is one request after the other */
import type { WaitResult } from '../generator/protocol.js';
import type { Contender } from '../lib/contenders.js';
import { type EventPlan, eventPlan } from '../lib/fleet.js';
import type { RunningServer } from '../lib/servers.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';

/** Publishes the plan's events one request at a time. */
async function trickle(server: RunningServer, plan: EventPlan, size: number): Promise<void> {
  for (let i = 0; i < plan.count; i++) {
    const response = await fetch(`${server.baseUrl}/bench/publish`, {
      method: 'POST',
      headers: { ...server.publishHeaders, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        count: 1,
        size,
        libraries: [plan.libraries[i % plan.libraries.length]],
      }),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`publish failed: ${response.status}`);
    await sleep(1);
  }
}

/**
 * Events trickle in, one per request, one request after the other: the server's CPU time per
 * delivery, read from /proc, which a slow generator cannot hide. The same requests are first
 * sent with no client connected, which warms the server up and prices the publish requests
 * themselves, so that the figure can also be given net of them. The servers without permissions
 * route each event to the connections that asked for its library (routedFleet), so that a
 * publish request is shared by as many deliveries as on Reelay, where the grants decide.
 */
export function trickleCase(context: BenchContext, contender: Contender): Promise<Metrics> {
  const { options } = context;
  return withSession(context, contender, async (session) => {
    const { server, generator } = session;
    const fleet = fleetFor(context, contender, options.trickleConnections, {
      filterEvery: 4,
      routed: true,
    });
    const plan = eventPlan(fleet, options.trickleEventsPerConnection);
    const requestsStart = session.serverCpu();
    await trickle(server, plan, options.eventSize);
    const requestsCpu = session.serverCpu() - requestsStart;

    const opened = await session.open(fleet, 'count');
    await sleep(1000);
    await generator.call({ type: 'reset', recordLatency: false });
    const generatorCpu = session.generatorCpu();
    const serverCpu = session.serverCpu();
    const start = performance.now();
    await trickle(server, plan, options.eventSize);
    const done = await generator.call<WaitResult>({
      type: 'await',
      expected: plan.expected,
      timeoutMs: 30_000,
    });
    const totalCpu = session.serverCpu() - serverCpu;
    // A moment more: anything beyond the plan reached a connection that should not have had it.
    const settled = await generator.call<WaitResult>({
      type: 'await',
      expected: plan.expected + 1,
      timeoutMs: 300,
    });
    const elapsedSeconds = (performance.now() - start) / 1000;
    const deliveries = Math.max(1, done.received);
    return {
      connections: opened.opened,
      failedConnections: opened.failed,
      requests: plan.count,
      expectedDeliveries: plan.expected,
      deliveries: done.received,
      unexpectedDeliveries: Math.max(0, settled.received - plan.expected),
      skipped: done.skipped,
      complete: done.complete,
      elapsedSeconds,
      serverCpuSeconds: totalCpu,
      requestsOnlyCpuSeconds: requestsCpu,
      cpuSecondsPer100kDeliveries: (totalCpu / deliveries) * 100_000,
      netCpuSecondsPer100kDeliveries: ((totalCpu - requestsCpu) / deliveries) * 100_000,
      generatorCpuSeconds: session.generatorCpu() - generatorCpu,
    };
  });
}
