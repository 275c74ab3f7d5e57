/* oxlint-disable no-await-in-loop -- the warm-up polls the generator, one question at a time */
import type { StormResult, TrackedResult } from '../generator/protocol.js';
import { type Contender, onRedisBus } from '../lib/contenders.js';
import { listenOverflows } from '../lib/proc.js';
import { commandDelta, totalCalls } from '../lib/redis.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';
import { Ticker } from './ticker.js';

/** How long the steady load's own Redis commands are counted, to be taken off the storm's. */
const BASELINE_MS = 2000;
/** Live events watched after the storm: nothing lost or repeated between replay and live. */
const AFTER_STORM_MS = 1000;
const STORM_TIMEOUT_MS = 30_000;

/**
 * A reconnect storm: N SSE connections (server admins, who are due every event, so that each
 * one's ids must follow on exactly) while events keep being published, all dropped at once and
 * all opened again with `Last-Event-ID`. Measures the time until every connection has resumed
 * (its first event after the reconnect, which must be the one after its Last-Event-ID), the
 * events lost, repeated or resynced, and, on the Redis bus, the Redis commands the storm cost
 * (INFO commandstats, net of what the same steady load costs without a storm): a resume should
 * be served from each process's history in memory, not by a range read per client.
 */
export function stormCase(context: BenchContext, contender: Contender): Promise<Metrics> {
  const { options } = context;
  const n = options.stormConnections;
  return withSession(context, contender, async (session) => {
    const { server, generator } = session;
    const fleet = fleetFor(context, contender, n, { onlyServerAdmins: true });
    const opened = await session.open(fleet, 'resume');
    const ticker = new Ticker(server, {
      ticksPerSecond: options.stormEventsPerSecond,
      eventsPerTick: 1,
      libraries: fleet.libraries,
      size: options.eventSize,
    });
    ticker.start();
    try {
      // Every connection has seen an event, so that each resumes from a real id.
      const warmDeadline = performance.now() + 15_000;
      let warm = await generator.call<TrackedResult>({ type: 'tracked' });
      while (warm.withId < opened.opened && performance.now() < warmDeadline) {
        await sleep(100);
        warm = await generator.call<TrackedResult>({ type: 'tracked' });
      }
      const redis = onRedisBus(contender) ? context.redis : undefined;
      const baseStart = performance.now();
      const base0 = await redis?.commandCalls();
      await sleep(BASELINE_MS);
      const base1 = await redis?.commandCalls();
      const baseMs = performance.now() - baseStart;
      const before = await generator.call<TrackedResult>({ type: 'tracked' });

      const serverCpu = session.serverCpu();
      const generatorCpu = session.generatorCpu();
      const split = session.processCpuSplit();
      const redisCpu = redis?.cpuSeconds();
      const machine = session.watchMachine();
      const stormStart = performance.now();
      const overflows = listenOverflows();
      const calls0 = await redis?.commandCalls();
      const storm = await generator.call<StormResult>({
        type: 'storm',
        port: server.port,
        concurrency: options.stormConcurrency,
        timeoutMs: STORM_TIMEOUT_MS,
      });
      const calls1 = await redis?.commandCalls();
      const stormMs = performance.now() - stormStart;
      const overflowed = listenOverflows() - overflows;
      const stormServerCpu = session.serverCpu() - serverCpu;
      const stormGeneratorCpu = session.generatorCpu() - generatorCpu;
      const share = machine();
      const redisCpuAfter = redis?.cpuSeconds();
      const stormRedisCpu =
        redisCpu === undefined || redisCpuAfter === undefined
          ? Number.NaN
          : redisCpuAfter - redisCpu;
      const busy = share.busyShare;
      context.log(
        `  ${contender.key}: storm of ${(stormMs / 1000).toFixed(1)} s, CPU-s: server ${stormServerCpu.toFixed(2)}` +
          `${split() === undefined ? '' : ` (${split()})`}, generator ${stormGeneratorCpu.toFixed(2)}, ` +
          `Redis ${Number.isNaN(stormRedisCpu) ? 'n/a' : stormRedisCpu.toFixed(2)}; machine ${(busy * 100).toFixed(0)}% busy`,
      );
      await sleep(AFTER_STORM_MS);
      const after = await generator.call<TrackedResult>({ type: 'tracked' });
      if (storm.failed > 0) {
        context.log(
          `  ${contender.key}: ${storm.failed} reconnections failed: ${storm.errors.join(' | ')}`,
        );
      }

      const redisMetrics: Metrics = {};
      if (base0 && base1 && calls0 && calls1) {
        const stormCalls = commandDelta(calls0, calls1);
        const baseRatePerMs = totalCalls(commandDelta(base0, base1)) / baseMs;
        const total = totalCalls(stormCalls);
        const net = Math.max(0, total - baseRatePerMs * stormMs);
        const reconnects = Math.max(1, storm.reconnected);
        redisMetrics.redisCommandsInStorm = total;
        redisMetrics.redisCommandsPerReconnect = total / reconnects;
        redisMetrics.redisNetCommandsPerReconnect = net / reconnects;
        redisMetrics.redisRangeReads = (stormCalls.xrange ?? 0) + (stormCalls.xrevrange ?? 0);
        redisMetrics.redisBaselinePerSecond = baseRatePerMs * 1000;
        context.log(
          `  ${contender.key}: Redis commands in the ${(stormMs / 1000).toFixed(1)} s of the storm: ` +
            `${
              Object.entries(stormCalls)
                .map(([command, calls]) => `${command} ${calls}`)
                .join(', ') || 'none'
            } (steady load alone: ${(baseRatePerMs * 1000).toFixed(0)}/s)`,
        );
      }
      return {
        connections: opened.opened,
        failedConnections: opened.failed + storm.failed,
        warmConnections: warm.withId,
        reconnected: storm.reconnected,
        resumed: storm.resumed,
        complete: storm.complete,
        allReconnectedMs: storm.allReconnectedMs,
        allResumedMs: storm.allResumedMs,
        resumeP50Ms: storm.resumeP50Ms,
        resumeP99Ms: storm.resumeP99Ms,
        firstSkippedAhead: storm.firstSkippedAhead,
        firstRepeated: storm.firstRepeated,
        lostBeforeStorm: before.lost,
        lostEvents: after.lost,
        repeatedEvents: after.repeated,
        resyncs: after.resyncs,
        brokenResumes:
          storm.firstSkippedAhead +
          storm.firstRepeated +
          after.lost +
          after.repeated +
          after.resyncs,
        eventsPublished: ticker.published,
        publishFailures: ticker.failures,
        serverCpuSeconds: stormServerCpu,
        generatorCpuSeconds: stormGeneratorCpu,
        acceptQueueOverflows: overflowed,
        serverCpuMsPerReconnect: (stormServerCpu * 1000) / Math.max(1, storm.reconnected),
        generatorCpuMsPerReconnect: (stormGeneratorCpu * 1000) / Math.max(1, storm.reconnected),
        redisCpuSeconds: stormRedisCpu,
        machineBusyShare: busy,
        otherProcessesCores: share.otherCores,
        ...redisMetrics,
      };
    } finally {
      await ticker.stop();
    }
  });
}
