import type { ClientMode } from '../generator/protocol.js';
import { CLOCK_TICKS_PER_SECOND, cpuSeconds, machineTicks } from '../lib/proc.js';
import { type Contender, type ContenderKey } from '../lib/contenders.js';
import {
  broadcastFleet,
  type Fleet,
  reelayFleet,
  type ReelayFleetOptions,
  routedFleet,
  splitFleet,
} from '../lib/fleet.js';
import { GeneratorHandle } from '../lib/generator-handle.js';
import type { OpenResult } from '../generator/protocol.js';
import type { BenchRedis } from '../lib/redis.js';
import { isReelay, type RunningServer, type ServerLauncher } from '../lib/servers.js';

export interface BenchOptions {
  cases: string[];
  contenders: ContenderKey[];
  runs: number;
  burstSizes: number[];
  latencyConnections: number;
  /** Events a second Reelay publishes; the others publish as many as give the same load. */
  latencyEventsPerSecond: number;
  latencyWarmupMs: number;
  latencyWindowMs: number;
  stalledConnections: number;
  stalledEventsPerSecond: number;
  stalledEventSize: number;
  stalledDurationMs: number;
  /** The trickle case's loads: connections, and the events each receives. */
  trickleSizes: TrickleSize[];
  /** Connections the `hold` case opens, over several load generators. */
  holdConnections: number;
  /** Connections dropped and resumed at once in the `storm` case. */
  stormConnections: number;
  /** Events a second published while the storm runs. */
  stormEventsPerSecond: number;
  /** Reconnections in flight at once in the storm (response head not yet read). */
  stormConcurrency: number;
  /** Clients of the `rest` case, each sending one request after the other. */
  restClients: number;
  /** Timed requests of each call in the `rest` case. */
  restRequests: number;
  /** Requests of each call sent before the timed ones, untimed (JIT, connections, pools). */
  restWarmupRequests: number;
  /** The PostgreSQL server the `reelay-postgres` contender's databases are created on. */
  postgresUrl: string;
  /** The Redis of the EVENT_BUS=redis contenders; undefined: the bench starts its own. */
  redisUrl?: string;
  /** Times a measurement that shared the machine with other work is taken again. */
  retries: number;
  eventSize: number;
  /** CPU profiles of Reelay's server, of every server, or none. */
  profile: 'reelay' | 'all' | 'off';
  /** The Node binary the servers run on; undefined: the bench's own. */
  serverNode?: string;
  quick: boolean;
}

export interface TrickleSize {
  connections: number;
  eventsPerConnection: number;
}

export interface BenchContext {
  options: BenchOptions;
  launcher: ServerLauncher;
  /** The Redis of the EVENT_BUS=redis contenders. */
  redis?: BenchRedis;
  generatorScript: string;
  log: (message: string) => void;
  /** What is being measured now, e.g. `burst-1000-run1-reelay-sse`. */
  label?: string;
}

export type Metrics = Record<string, number | boolean | string>;

/** A server and its load generators, started for one measurement, stopped after it. */
export interface Session {
  contender: Contender;
  server: RunningServer;
  /** The first (often the only) load generator. */
  generator: GeneratorHandle;
  generators: GeneratorHandle[];
  /** CPU seconds of the generator processes so far. */
  generatorCpu(): number;
  /** CPU seconds of the server's processes so far (a cluster's primary and workers). */
  serverCpu(): number;
  /**
   * Starts counting the CPU of each of the server's processes; the function returned tells,
   * for a cluster, how much the primary and each worker used since (undefined for one process).
   */
  processCpuSplit(): () => string | undefined;
  /**
   * Starts watching the whole machine's CPU; the function returned tells how busy it was since
   * (share of all cores) and how many cores processes outside the measurement used meanwhile
   * (anything but the server, the generators, the bench's Redis and the orchestrator): other
   * work on the machine, which a figure measured then has had to share the cores with.
   */
  watchMachine(): () => MachineShare;
  /** The fleet as the generators share it: part i is generator i's. */
  parts(fleet: Fleet): Fleet[];
  /** Opens the fleet, spread over the generators (see `parts`). */
  open(fleet: Fleet, mode: ClientMode): Promise<OpenResult>;
}

export interface MachineShare {
  busyShare: number;
  otherCores: number;
}

/** Other processes may use this many cores in a window before its figures are flagged. */
const OTHER_CORES_NOTED = 0.15;

export interface SessionOptions {
  /** Load generators, each a process of its own (one holds at most ~19,000 sockets). */
  generators?: number;
}

/** CPU seconds of a process, 0 once it has gone. */
function cpuSecondsOrZero(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

/** Blocks of loopback source addresses, 127.<1-250>.<1-250>.<1-16>, from a random start. */
const LOOPBACK_BLOCKS = 250 * 250;
const ADDRESSES_PER_GENERATOR = 16;
let loopbackBlocks = Math.floor(Math.random() * LOOPBACK_BLOCKS);

/**
 * Source addresses for one generator that this run has not used, and an earlier run most likely
 * not either. One source address has ~28,000 ephemeral ports towards one server port
 * (ip_local_port_range), so more than one generator needs addresses of its own; and a socket
 * bound to an address before it connects takes its port by a search that gets slow as the
 * address's ports fill up (bind() tries only the odd half of the range first) or wait in
 * TIME_WAIT after an earlier run: 15,000 sockets on one address cost the kernel ~1.7 ms each
 * (the generators, not the server, held the hold case to 600 connections/s). Spread over 16
 * addresses, each holds about a thousand.
 */
function freshLoopbackAddresses(): string[] {
  const n = loopbackBlocks++ % LOOPBACK_BLOCKS;
  const block = `127.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
  return Array.from({ length: ADDRESSES_PER_GENERATOR }, (_, i) => `${block}.${i + 1}`);
}

export async function withSession<T>(
  context: BenchContext,
  contender: Contender,
  body: (session: Session) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  const server = await context.launcher.start(contender.server, { label: context.label });
  const count = Math.max(1, options.generators ?? 1);
  const generators = Array.from(
    { length: count },
    () => new GeneratorHandle(context.generatorScript),
  );
  // With one generator, the kernel picks the source address as before.
  const addresses = generators.map(() => (count > 1 ? freshLoopbackAddresses() : undefined));
  const ownCpu = () => {
    const usage = process.cpuUsage();
    return (
      server.cpuSeconds() +
      generators.reduce((total, generator) => total + cpuSecondsOrZero(generator.pid), 0) +
      (context.redis?.cpuSeconds() ?? 0) +
      (usage.user + usage.system) / 1e6
    );
  };
  try {
    const session: Session = {
      contender,
      server,
      generator: generators[0],
      generators,
      generatorCpu: () =>
        generators.reduce((total, generator) => total + cpuSeconds(generator.pid), 0),
      serverCpu: () => server.cpuSeconds(),
      processCpuSplit: () => {
        const pids = server.pids();
        const before = pids.map(cpuSecondsOrZero);
        return () => {
          if (pids.length < 2) return undefined;
          const spent = pids.map((pid, index) => cpuSecondsOrZero(pid) - before[index]);
          const workers = spent.slice(1).map((value) => value.toFixed(2));
          return `primary ${spent[0].toFixed(2)}, workers ${workers.join(' + ')}`;
        };
      },
      watchMachine: () => {
        const ticks = machineTicks();
        const own = ownCpu();
        const start = performance.now();
        return () => {
          const after = machineTicks();
          const processSeconds = (after.processes - ticks.processes) / CLOCK_TICKS_PER_SECOND;
          const seconds = (performance.now() - start) / 1000;
          const share: MachineShare = {
            busyShare: (after.busy - ticks.busy) / Math.max(1, after.total - ticks.total),
            otherCores: Math.max(0, processSeconds - (ownCpu() - own)) / Math.max(0.001, seconds),
          };
          if (share.otherCores > OTHER_CORES_NOTED) {
            context.log(
              `  note: other processes used ${share.otherCores.toFixed(2)} cores during this measurement: its figures shared the machine`,
            );
          }
          return share;
        };
      },
      parts: (fleet) => (count > 1 ? splitFleet(fleet, count) : [fleet]),
      open: async (fleet, mode) => {
        const parts = session.parts(fleet);
        const results = await Promise.all(
          parts.map((part, index) =>
            generators[index].call<OpenResult>({
              type: 'open',
              transport: contender.transport,
              port: server.port,
              specs: part.specs,
              mode,
              concurrency: 256,
              timeoutMs: 120_000,
              localAddresses: addresses[index],
            }),
          ),
        );
        const result: OpenResult = {
          opened: results.reduce((total, part) => total + part.opened, 0),
          failed: results.reduce((total, part) => total + part.failed, 0),
          errors: results.flatMap((part) => part.errors).slice(0, 5),
          elapsedMs: Math.max(...results.map((part) => part.elapsedMs)),
        };
        if (result.failed > 0) {
          context.log(
            `  ${contender.key}: ${result.failed} of ${fleet.specs.length} connections failed: ${result.errors.join(' | ')}`,
          );
        }
        return result;
      },
    };
    return await body(session);
  } finally {
    await Promise.all(
      generators.map(async (generator) => {
        await generator.call({ type: 'close' }).catch(() => undefined);
        await generator.stop();
      }),
    );
    await server.stop();
  }
}

export interface FleetOptions extends ReelayFleetOptions {
  /**
   * The other servers' connections ask for the libraries their Reelay counterparts receive
   * (routedFleet) rather than getting every event.
   */
  routed?: boolean;
}

/** The connections of a measurement: Reelay's over the seeded users, the others anonymous. */
export function fleetFor(
  context: BenchContext,
  contender: Contender,
  count: number,
  options: FleetOptions = { filterEvery: 4 },
): Fleet {
  const world = context.launcher.worldOf(contender.server);
  if (isReelay(contender.server)) return reelayFleet(world, count, contender.path, options);
  return options.routed
    ? routedFleet(reelayFleet(world, count, contender.path, options), contender.path)
    : broadcastFleet(world, count, contender.path);
}

export { sleep } from '../lib/children.js';
