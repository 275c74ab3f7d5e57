import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { burstCase } from './cases/burst.js';
import type { BenchContext, BenchOptions, Metrics } from './cases/context.js';
import { holdCase } from './cases/hold.js';
import { latencyCase } from './cases/latency.js';
import { restCase } from './cases/rest.js';
import { REELAY_QUEUE_BOUND_BYTES, stalledCase } from './cases/stalled.js';
import { stormCase } from './cases/storm.js';
import { trickleCase } from './cases/trickle.js';
import { killAllChildren, sleep } from './lib/children.js';
import { type CpuProfile, profileText, summariseProfile } from './lib/cpu-profile.js';
import {
  CONTENDERS,
  type Contender,
  onNchan,
  onPostgres,
  onRedisBus,
  scraped,
} from './lib/contenders.js';
import { ensureNchan } from './lib/nchan.js';
import { parseOptions, USAGE } from './lib/options.js';
import { DEFAULT_WORLD } from './lib/reelay-world.js';
import { BenchPostgres, dropLiveDatabases } from './lib/postgres.js';
import {
  barsText,
  figureMeasured,
  figuresFor,
  judgeBars,
  markdownTable,
  type RawResults,
  type Summaries,
  summarise,
} from './lib/report.js';
import { type BenchRedis, startBenchRedis } from './lib/redis.js';
import { isReelay, SERVER_NAMES, ServerLauncher, workersOf } from './lib/servers.js';
import { machineTicks } from './lib/proc.js';
import { prepareServerNode } from './lib/server-node.js';

const PROFILE_TOP = 15;
/**
 * The PostgreSQL contender is measured where the issue of PostgreSQL asks, the REST calls: its
 * events fan out on the same embedded bus as `reelay-sse`'s. nginx+nchan publishes one event per
 * request: it is measured in the trickle only.
 */
const eventContenders = (contender: Contender) =>
  !onPostgres(contender) && !scraped(contender) && !onNchan(contender);
/** The bursts, where the cost of counting and scraping would show: the scraped contender too. */
const burstContenders = (contender: Contender) => !onPostgres(contender) && !onNchan(contender);
/** Events one request after the other: nginx+nchan too, which publishes no other way. */
const trickleContenders = (contender: Contender) =>
  eventContenders(contender) || onNchan(contender);
/** Beyond the first trickle load, what its bars compare: Reelay /sse, plain node:http, nchan. */
const trickleBarContenders = (contender: Contender) =>
  contender.key === 'reelay-sse' || contender.key === 'plain-http' || onNchan(contender);
const onlySse = (contender: Contender) =>
  contender.transport === 'sse' && eventContenders(contender);
/** The Redis-bus contenders are measured where the issue of the shared bus asks, not stalled. */
const sseOnOneBus = (contender: Contender) => onlySse(contender) && !onRedisBus(contender);
/** More connections than one process can hold: only a server of several processes. */
const severalWorkers = (contender: Contender) => workersOf(contender.server) > 1;
/** The storm: one process on the embedded bus against several on the shared one. */
const stormContenders = (contender: Contender) =>
  contender.key === 'reelay-sse' || severalWorkers(contender);
/** The REST calls: one process on the embedded bus, on SQLite and on PostgreSQL. */
const restContenders = (contender: Contender) =>
  contender.key === 'reelay-sse' || onPostgres(contender);

/** The whole benchmark stops by itself after this, whatever happens. */
const HARD_LIMIT_MS = 60 * 60 * 1000;

const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));

interface CaseSpec {
  key: string;
  applies: (contender: Contender) => boolean;
  /** A capacity check rather than a speed: measured in the first run only. */
  once?: boolean;
  measure: (context: BenchContext, contender: Contender) => Promise<Metrics>;
}

function caseSpecs(options: BenchOptions): CaseSpec[] {
  const specs: CaseSpec[] = [];
  for (const name of options.cases) {
    if (name === 'burst') {
      const largest = Math.max(...options.burstSizes);
      for (const size of options.burstSizes) {
        specs.push({
          key: `burst-${size}`,
          applies: burstContenders,
          // Memory is reported at the largest N only: the wait for rest is spent there alone
          // (and not in quick mode, where it would be most of the time, nor for the shared
          // bus's contenders, whose memory is read 2 s after the connection storm only).
          measure: (context, contender) =>
            burstCase(
              context,
              contender,
              size,
              size === largest && !options.quick && !onRedisBus(contender),
            ),
        });
      }
    }
    if (name === 'latency') {
      // One socket.io-client process cannot parse N=5,000 x 50 events/s on one core: it would
      // measure itself.
      specs.push({ key: 'latency', applies: onlySse, measure: latencyCase });
    }
    if (name === 'stalled') {
      specs.push({
        key: 'stalled',
        applies: sseOnOneBus,
        measure: stalledCase,
      });
    }
    if (name === 'trickle') {
      for (const [index, size] of options.trickleSizes.entries()) {
        specs.push({
          key: `trickle-${size.connections}`,
          applies: index === 0 ? trickleContenders : trickleBarContenders,
          measure: (context, contender) => trickleCase(context, contender, size),
        });
      }
    }
    if (name === 'hold') {
      specs.push({ key: 'hold', applies: severalWorkers, measure: holdCase, once: true });
    }
    if (name === 'storm')
      specs.push({ key: 'storm', applies: stormContenders, measure: stormCase });
    if (name === 'rest') specs.push({ key: 'rest', applies: restContenders, measure: restCase });
  }
  return specs;
}

/** The commit measured, `+dirty` when the working tree has changes (other work in progress). */
function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? commit : `${commit}+dirty`;
  } catch {
    return 'unknown';
  }
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** A measurement during which other processes used more cores than this is taken again. */
const SHARED_MACHINE_CORES = 0.25;
/** The machine counts as quiet below this share of all cores used by processes. */
const QUIET_SHARE = 0.08;
const QUIET_WINDOW_MS = 3000;
const QUIET_WAIT_MS = 180_000;

/** Waits until the machine's processes use less than QUIET_SHARE of it, or QUIET_WAIT_MS. */
async function waitForQuietMachine(): Promise<boolean> {
  const deadline = performance.now() + QUIET_WAIT_MS;
  while (performance.now() < deadline) {
    const before = machineTicks();
    // oxlint-disable-next-line no-await-in-loop -- one window after another
    await sleep(QUIET_WINDOW_MS);
    const after = machineTicks();
    const share = (after.processes - before.processes) / Math.max(1, after.total - before.total);
    if (share < QUIET_SHARE) return true;
  }
  return false;
}

/**
 * Measures, and measures again (up to `retries` times, each after waiting for a quiet machine)
 * when other processes took a share of the cores meanwhile: on a shared machine, figures that
 * competed with someone else's work say little. The last attempt is kept, flagged by its
 * `otherProcessesCores`.
 */
async function measureOnQuietMachine(
  measure: () => Promise<Metrics>,
  retries: number,
  label: string,
): Promise<Metrics> {
  for (let attempt = 0; ; attempt++) {
    // oxlint-disable-next-line no-await-in-loop -- attempts must not overlap
    const metrics = await measure();
    const other = metrics.otherProcessesCores;
    if (typeof other !== 'number' || other <= SHARED_MACHINE_CORES || attempt >= retries) {
      return { ...metrics, attempts: attempt + 1 };
    }
    log(
      `${label}: other processes used ${other.toFixed(2)} cores meanwhile; measuring again once the machine is quiet (${attempt + 1}/${retries})`,
    );
    // oxlint-disable-next-line no-await-in-loop -- waits before the next attempt
    if (!(await waitForQuietMachine())) log(`  the machine did not quiet down; measuring anyway`);
  }
}

function describeRun(metrics: Metrics): string {
  const keys = [
    'deliveriesPerSecond',
    'acceptedPerSecond',
    'rssPerIdleConnectionBytes',
    'rssPerIdleConnectionAtRestBytes',
    'p50Ms',
    'p99Ms',
    'rssGrowthPerClientBytes',
    'healthMaxMs',
    'cpuSecondsPer100kDeliveries',
    'generatorCpuSeconds',
    'machineBusyShare',
    'held',
    'allReconnectedMs',
    'allResumedMs',
    'brokenResumes',
    'acceptQueueOverflows',
    'redisNetCommandsPerReconnect',
    'redisRangeReads',
    'listP50Ms',
    'listP99Ms',
    'listFailedRequests',
    'createP50Ms',
    'createP99Ms',
    'createFailedRequests',
    'progressP50Ms',
    'progressP99Ms',
    'progressFailedRequests',
    'connectionsOpened',
    'otherProcessesCores',
    'attempts',
    'complete',
  ];
  return keys
    .filter((key) => key in metrics)
    .map((key) => {
      const value = metrics[key];
      return `${key}=${typeof value === 'number' ? Number(value.toPrecision(4)) : String(value)}`;
    })
    .join(' ');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    console.error(USAGE);
    return;
  }
  const started = new Date();
  const profileDir = options.profile !== 'off' ? join(resultsDir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const serverNode = prepareServerNode(options.serverNode);
  process.once('exit', () => serverNode.restore());
  log(`Servers run on Node ${serverNode.version}`);
  const contenders = options.contenders.map((key) => CONTENDERS[key]);
  if (contenders.some(onNchan)) ensureNchan(log);
  let redis: BenchRedis | undefined;
  if (contenders.some(onRedisBus)) {
    redis = await startBenchRedis(options.redisUrl);
    log(`EVENT_BUS=redis contenders use ${redis.description}`);
  }
  let postgres: BenchPostgres | undefined;
  if (contenders.some(onPostgres)) {
    postgres = await BenchPostgres.connect(options.postgresUrl);
    log(`reelay-postgres gets a database of its own on ${postgres.description} at each start`);
  }
  const launcher = new ServerLauncher({
    profileDir,
    profile: new Set(
      options.profile === 'all' ? SERVER_NAMES : SERVER_NAMES.filter((name) => isReelay(name)),
    ),
    node: serverNode.command,
    redis,
    postgres,
  });
  // An interrupted run (Ctrl-C, the watchdog) leaves no data folder behind either.
  process.once('exit', () => launcher.close());
  const context: BenchContext = {
    options,
    launcher,
    redis,
    generatorScript: fileURLToPath(new URL('./generator/generator.js', import.meta.url)),
    log,
  };
  const raw: RawResults = {};
  const shape = options.quick ? { ...DEFAULT_WORLD, users: 60 } : DEFAULT_WORLD;
  try {
    log(`Seeding Reelay: ${shape.libraries} libraries, ${shape.users} users ...`);
    const seedStart = performance.now();
    await launcher.seed(shape);
    log(`  seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    for (const spec of caseSpecs(options)) {
      raw[spec.key] = {};
      for (let run = 1; run <= (spec.once ? 1 : options.runs); run++) {
        for (const contender of contenders.filter(spec.applies)) {
          const label = `${spec.key} run ${run}/${spec.once ? 1 : options.runs} ${contender.key}`;
          context.label = `${spec.key}-run${run}-${contender.key}`;
          const measureStart = performance.now();
          const took = () => `${((performance.now() - measureStart) / 1000).toFixed(0)} s`;
          try {
            // oxlint-disable-next-line no-await-in-loop -- measurements must not overlap
            const metrics = await measureOnQuietMachine(
              () => spec.measure(context, contender),
              options.retries,
              label,
            );
            (raw[spec.key][contender.key] ??= []).push(metrics);
            log(`${label} (${took()}): ${describeRun(metrics)}`);
          } catch (error) {
            log(
              `${label} (${took()}): FAILED ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        }
      }
    }
  } finally {
    await redis?.stop();
    killAllChildren();
    await dropLiveDatabases();
    launcher.close();
    serverNode.restore();
  }

  const summaries: Summaries = {};
  for (const [caseKey, byContender] of Object.entries(raw)) {
    summaries[caseKey] = {};
    for (const [contender, runs] of Object.entries(byContender)) {
      summaries[caseKey][contender as Contender['key']] = summarise(runs);
    }
  }
  // A figure no contender of this run has (Redis CPU without the Redis bus, say) is left out.
  const figures = figuresFor(options).filter((figure) =>
    figureMeasured(figure, summaries, options.contenders),
  );
  const table = markdownTable(figures, summaries, options.contenders);
  const bars = judgeBars(summaries, options.burstSizes, REELAY_QUEUE_BOUND_BYTES, options);
  const finished = new Date();
  const machine = {
    commit: gitCommit(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    serverNode: serverNode.version,
    kernel: release(),
    totalMemoryBytes: totalmem(),
    date: started.toISOString(),
    redis: redis?.description,
    postgres: postgres?.description,
    durationSeconds: (finished.getTime() - started.getTime()) / 1000,
  };
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ machine, options, world: shape, summaries, bars, raw }, null, 2)}\n`,
  );
  const profiles = launcher.profiles.filter((profile) => existsSync(profile));
  const profileSection = profiles
    .map((profile) => {
      const summary = summariseProfile(
        JSON.parse(readFileSync(profile, 'utf8')) as CpuProfile,
        PROFILE_TOP,
      );
      return `### ${profile}\n\n\`\`\`\n${profileText(summary)}\n\`\`\`\n`;
    })
    .join('\n');
  process.stdout.write(
    `\n## Fan-out benchmark (${machine.cpuModel}, ${machine.cores} cores, servers on Node ${machine.serverNode}, ${machine.date}, ${machine.commit})\n\n` +
      `${table}\n\n${barsText(bars)}\n\nMedians of ${options.runs} run(s).` +
      (redis === undefined ? '' : ` The Redis bus ran on ${redis.description}.`) +
      (postgres === undefined ? '' : ` reelay-postgres ran on ${postgres.description}.`) +
      ` Results: ${file}\n` +
      (profileSection === '' ? '' : `\n## CPU profiles\n\n${profileSection}`),
  );
}

/** Ends an interrupted run: its servers at once, then the databases it created, then itself. */
function stopNow(code: number): void {
  killAllChildren();
  // An exit handler cannot wait: the databases are dropped before, not in it.
  void dropLiveDatabases().finally(() => process.exit(code));
}

const watchdog = setTimeout(() => {
  log(`The benchmark ran past ${HARD_LIMIT_MS / 60_000} minutes: stopping.`);
  stopNow(2);
}, HARD_LIMIT_MS);
watchdog.unref();

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopNow(130));
process.on('exit', killAllChildren);

main().then(
  () => clearTimeout(watchdog),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    killAllChildren();
    process.exitCode = 1;
  },
);
