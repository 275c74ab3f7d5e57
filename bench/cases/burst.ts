import type { WaitResult } from '../generator/protocol.js';
import { type Contender, onRedisBus } from '../lib/contenders.js';
import { eventPlan } from '../lib/fleet.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';

/** 200 events each up to N=1,000, fewer beyond, so that a burst is about a million deliveries. */
export function burstEventsPerConnection(n: number): number {
  return Math.max(1, Math.min(200, Math.round(1_000_000 / n)));
}

/**
 * Opens N connections as fast as the server accepts them (with auth where the server has it),
 * measures the idle memory they cost, then publishes one burst in a single request and times
 * it until every connection has everything it may receive. Memory is read 2 s after the
 * connection storm, after a full GC, and with `atRest` also once the server has come to rest
 * (before the connections and after them), which takes up to a minute or so more.
 */
export function burstCase(
  context: BenchContext,
  contender: Contender,
  n: number,
  atRest: boolean,
): Promise<Metrics> {
  return withSession(context, contender, async (session) => {
    const { server, generator } = session;
    const fleet = fleetFor(context, contender, n);
    const before = await server.settledMemory();
    const rssBefore = before.rss;
    const restingBefore = atRest ? await server.restingRss() : undefined;
    const opened = await session.open(fleet, 'count');
    await sleep(2000);
    const rssIdleBeforeGc = server.rss();
    const idle = await server.settledMemory();
    const rssIdle = idle.rss;
    const restingIdle = atRest ? await server.restingRss() : undefined;
    const perConnection = (delta: number) => delta / Math.max(1, opened.opened);
    const atRestMetrics: Metrics =
      restingBefore === undefined || restingIdle === undefined
        ? {}
        : {
            rssPerIdleConnectionAtRestBytes: perConnection(restingIdle.rss - restingBefore.rss),
            restWaitBeforeMs: restingBefore.waitedMs,
            restWaitIdleMs: restingIdle.waitedMs,
          };

    const plan = eventPlan(fleet, burstEventsPerConnection(n));
    const serverCpu = session.serverCpu();
    const generatorCpu = session.generatorCpu();
    const redisCpu = onRedisBus(contender) ? context.redis?.cpuSeconds() : undefined;
    const split = session.processCpuSplit();
    const machine = session.watchMachine();
    const burst = await generator.call<WaitResult>({
      type: 'burst',
      publish: {
        port: server.port,
        path: '/bench/publish',
        headers: server.publishHeaders,
        body: { count: plan.count, size: context.options.eventSize, libraries: plan.libraries },
      },
      expected: plan.expected,
      timeoutMs: context.options.quick ? 10_000 : 30_000,
    });
    const seconds = burst.elapsedMs / 1000;
    if (burst.received > plan.expected) {
      context.log(
        `  ${contender.key}: ${burst.received - plan.expected} deliveries beyond the ${plan.expected} the grants allow`,
      );
    }
    const share = machine();
    const burstServerCpu = session.serverCpu() - serverCpu;
    const redisCpuAfter = redisCpu === undefined ? undefined : context.redis?.cpuSeconds();
    const burstRedisCpu =
      redisCpu === undefined || redisCpuAfter === undefined ? Number.NaN : redisCpuAfter - redisCpu;
    const burstGeneratorCpu = session.generatorCpu() - generatorCpu;
    const processes = split();
    if (processes !== undefined) {
      context.log(
        `  ${contender.key}: burst of ${(seconds * 1000).toFixed(0)} ms, CPU-s: ${processes}, ` +
          `generator ${burstGeneratorCpu.toFixed(2)}, Redis ${
            Number.isNaN(burstRedisCpu) ? 'n/a' : burstRedisCpu.toFixed(2)
          }; machine ${((burst.machineBusy ?? Number.NaN) * 100).toFixed(0)}% busy`,
      );
    }
    return {
      connections: opened.opened,
      failedConnections: opened.failed,
      acceptedPerSecond: opened.opened / (opened.elapsedMs / 1000),
      rssBeforeBytes: rssBefore,
      rssIdleBytes: rssIdle,
      rssIdleBeforeGcBytes: rssIdleBeforeGc,
      rssPerIdleConnectionBeforeGcBytes: perConnection(rssIdleBeforeGc - rssBefore),
      rssPerIdleConnectionBytes: perConnection(rssIdle - rssBefore),
      ...atRestMetrics,
      heapPerIdleConnectionBytes: perConnection(idle.heapUsed - before.heapUsed),
      externalPerIdleConnectionBytes: perConnection(idle.external - before.external),
      eventsPublished: plan.count,
      expectedDeliveries: plan.expected,
      deliveries: burst.received,
      unexpectedDeliveries: Math.max(0, burst.received - plan.expected),
      skipped: burst.skipped,
      lostConnections: burst.lost,
      complete: burst.complete,
      burstMs: burst.elapsedMs,
      publishRequestMs: burst.publishMs ?? Number.NaN,
      deliveriesPerSecond: Math.min(burst.received, plan.expected) / seconds,
      serverCpuSeconds: burstServerCpu,
      serverCpuPer100kDeliveries: (burstServerCpu / Math.max(1, burst.received)) * 100_000,
      generatorCpuSeconds: burstGeneratorCpu,
      redisCpuSeconds: burstRedisCpu,
      machineBusyShare: burst.machineBusy ?? Number.NaN,
      otherProcessesCores: share.otherCores,
    };
  });
}
