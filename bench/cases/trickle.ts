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

/**
 * Publish requests a server takes to reach its steady cost per request: a Node server's first
 * few thousand cost it up to 2-3x the later ones, while V8 compiles the request path
 * (on these machines, Reelay's cost per request fell from ~1.9 ms over the first 420 to
 * ~0.8 ms after 2,500, then stayed there); a server that has been up for a while is warm.
 */
const WARM_UP_REQUESTS = 3000;

/**
 * Publishes `count` events over the plan's libraries, one request at a time, `pauseMs` apart
 * (the trickle's own; none when warming up).
 */
async function publishOneByOne(
  server: RunningServer,
  plan: EventPlan,
  { count, size, pauseMs }: { count: number; size: number; pauseMs: number },
): Promise<void> {
  for (let i = 0; i < count; i++) {
    await server.publishOne(plan.libraries[i % plan.libraries.length], size);
    if (pauseMs > 0) await sleep(pauseMs);
  }
}

/**
 * Events trickle in, one per request, one request after the other: the server's CPU time per
 * delivery, read from /proc, which a slow generator cannot hide. With no client connected, the
 * server is first warmed up (WARM_UP_REQUESTS), then the trickle's requests are sent once to
 * price the publish requests themselves, so that the figure can also be given net of them. The
 * servers without permissions route each event to the connections that asked for its library
 * (routedFleet), so that a publish request is shared by as many deliveries as on Reelay, where
 * the grants decide.
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
    const size = options.eventSize;
    const trickle = { count: plan.count, size, pauseMs: 1 };
    await publishOneByOne(server, plan, { count: WARM_UP_REQUESTS, size, pauseMs: 0 });
    const requestsStart = session.serverCpu();
    await publishOneByOne(server, plan, trickle);
    const requestsCpu = session.serverCpu() - requestsStart;

    const opened = await session.open(fleet, 'count');
    await sleep(1000);
    await generator.call({ type: 'reset', recordLatency: false });
    const generatorCpu = session.generatorCpu();
    const serverCpu = session.serverCpu();
    const systemCpu = server.systemCpuSeconds();
    const start = performance.now();
    await publishOneByOne(server, plan, trickle);
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
