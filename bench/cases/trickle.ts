/* oxlint-disable no-await-in-loop -- a trickle is one request after the other */
import type { WaitResult } from '../generator/protocol.js';
import type { Contender } from '../lib/contenders.js';
import { type EventPlan, eventPlan } from '../lib/fleet.js';
import type { RunningServer } from '../lib/servers.js';
import {
  type BenchContext,
  fleetFor,
  type Metrics,
  sleep,
  type TrickleSize,
  withSession,
} from './context.js';

/** Publishes the plan's events one request at a time. */
async function trickle(server: RunningServer, plan: EventPlan, size: number): Promise<void> {
  for (let i = 0; i < plan.count; i++) {
    await server.publishOne(plan.libraries[i % plan.libraries.length], size);
    await sleep(1);
  }
}

/**
 * Events trickle in, one per request, one request after the other: the server's CPU time per
 * delivery, read from /proc, which a slow generator cannot hide. The same requests are first
 * sent twice with no client connected: once to warm the server up (its first pass costs a
 * Node server several times a warm one), then to price the publish requests themselves, so that
 * the figure can also be given net of them. The servers without permissions
 * route each event to the connections that asked for its library (routedFleet), so that a
 * publish request is shared by as many deliveries as on Reelay, where the grants decide.
 */
export function trickleCase(
  context: BenchContext,
  contender: Contender,
  { connections, eventsPerConnection }: TrickleSize,
): Promise<Metrics> {
  const { options } = context;
  return withSession(context, contender, async (session) => {
    const { server, generator } = session;
    const fleet = fleetFor(context, contender, connections, { filterEvery: 4, routed: true });
    const plan = eventPlan(fleet, eventsPerConnection);
    // A first pass warms the server up; the second prices the requests as warm as the measured one.
    await trickle(server, plan, options.eventSize);
    const requestsStart = session.serverCpu();
    await trickle(server, plan, options.eventSize);
    const requestsCpu = session.serverCpu() - requestsStart;

    const opened = await session.open(fleet, 'count');
    await sleep(1000);
    await generator.call({ type: 'reset', recordLatency: false });
    const generatorCpu = session.generatorCpu();
    const serverCpu = session.serverCpu();
    const systemCpu = server.systemCpuSeconds();
    const start = performance.now();
    await trickle(server, plan, options.eventSize);
    const done = await generator.call<WaitResult>({
      type: 'await',
      expected: plan.expected,
      timeoutMs: 30_000,
    });
    const totalCpu = session.serverCpu() - serverCpu;
    const kernelCpu = server.systemCpuSeconds() - systemCpu;
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
      cpuMsPerPublishRequest: (requestsCpu / plan.count) * 1000,
      cpuSecondsPer100kDeliveries: (totalCpu / deliveries) * 100_000,
      deliveriesPerCpuSecond: done.received / totalCpu,
      kernelCpuShare: kernelCpu / totalCpu,
      netCpuSecondsPer100kDeliveries: ((totalCpu - requestsCpu) / deliveries) * 100_000,
      generatorCpuSeconds: session.generatorCpu() - generatorCpu,
    };
  });
}
