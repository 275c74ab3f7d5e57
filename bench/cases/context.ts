import type { ClientMode } from '../generator/protocol.js';
import { cpuSeconds } from '../lib/proc.js';
import { type Contender, type ContenderKey } from '../lib/contenders.js';
import { broadcastFleet, type Fleet, reelayFleet, type ReelayFleetOptions } from '../lib/fleet.js';
import { GeneratorHandle } from '../lib/generator-handle.js';
import type { OpenResult } from '../generator/protocol.js';
import type { RunningServer, ServerLauncher } from '../lib/servers.js';

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
  trickleConnections: number;
  trickleEventsPerConnection: number;
  eventSize: number;
  /** CPU profiles of Reelay's server, of every server, or none. */
  profile: 'reelay' | 'all' | 'off';
  /** The Node binary the servers run on; undefined: the bench's own. */
  serverNode?: string;
  quick: boolean;
}

export interface BenchContext {
  options: BenchOptions;
  launcher: ServerLauncher;
  generatorScript: string;
  log: (message: string) => void;
  /** What is being measured now, e.g. `burst-1000-run1-reelay-sse`. */
  label?: string;
}

export type Metrics = Record<string, number | boolean | string>;

/** A server and a load generator started for one measurement, stopped after it. */
export interface Session {
  contender: Contender;
  server: RunningServer;
  generator: GeneratorHandle;
  /** CPU seconds of the generator process so far. */
  generatorCpu(): number;
  serverCpu(): number;
  open(fleet: Fleet, mode: ClientMode): Promise<OpenResult>;
}

export async function withSession<T>(
  context: BenchContext,
  contender: Contender,
  body: (session: Session) => Promise<T>,
): Promise<T> {
  const server = await context.launcher.start(contender.server, { label: context.label });
  const generator = new GeneratorHandle(context.generatorScript);
  try {
    const session: Session = {
      contender,
      server,
      generator,
      generatorCpu: () => cpuSeconds(generator.pid),
      serverCpu: () => cpuSeconds(server.pid),
      open: async (fleet, mode) => {
        const result = await generator.call<OpenResult>({
          type: 'open',
          transport: contender.transport,
          port: server.port,
          specs: fleet.specs,
          mode,
          concurrency: 256,
          timeoutMs: 120_000,
        });
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
    await generator.call({ type: 'close' }).catch(() => undefined);
    await generator.stop();
    await server.stop();
  }
}

/** The connections of a measurement: Reelay's over the seeded users, the others anonymous. */
export function fleetFor(
  context: BenchContext,
  contender: Contender,
  count: number,
  options: ReelayFleetOptions = { filterEvery: 4 },
): Fleet {
  const { world } = context.launcher;
  return contender.server === 'reelay'
    ? reelayFleet(world, count, contender.path, options)
    : broadcastFleet(count, contender.path, world.libraries);
}

export { sleep } from '../lib/children.js';
