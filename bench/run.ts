import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { burstCase } from './cases/burst.js';
import type { BenchContext, BenchOptions, Metrics } from './cases/context.js';
import { latencyCase } from './cases/latency.js';
import { REELAY_QUEUE_BOUND_BYTES, stalledCase } from './cases/stalled.js';
import { trickleCase } from './cases/trickle.js';
import { killAllChildren } from './lib/children.js';
import { type CpuProfile, profileText, summariseProfile } from './lib/cpu-profile.js';
import { CONTENDERS, type Contender } from './lib/contenders.js';
import { parseOptions, USAGE } from './lib/options.js';
import { DEFAULT_WORLD } from './lib/reelay-world.js';
import {
  barsText,
  figuresFor,
  judgeBars,
  markdownTable,
  type RawResults,
  type Summaries,
  summarise,
} from './lib/report.js';
import { SERVER_NAMES, ServerLauncher } from './lib/servers.js';
import { prepareServerNode } from './lib/server-node.js';

const PROFILE_TOP = 15;
const always = () => true;
const onlySse = (contender: Contender) => contender.transport === 'sse';

/** The whole benchmark stops by itself after this, whatever happens. */
const HARD_LIMIT_MS = 40 * 60 * 1000;

const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));

interface CaseSpec {
  key: string;
  applies: (contender: Contender) => boolean;
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
          applies: always,
          // Memory is reported at the largest N only: the wait for rest is spent there alone.
          measure: (context, contender) => burstCase(context, contender, size, size === largest),
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
        applies: onlySse,
        measure: stalledCase,
      });
    }
    if (name === 'trickle') specs.push({ key: 'trickle', applies: always, measure: trickleCase });
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
  const launcher = new ServerLauncher({
    profileDir,
    profile: new Set(options.profile === 'all' ? SERVER_NAMES : ['reelay']),
    node: serverNode.command,
  });
  const context: BenchContext = {
    options,
    launcher,
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

    const contenders = options.contenders.map((key) => CONTENDERS[key]);
    for (const spec of caseSpecs(options)) {
      raw[spec.key] = {};
      for (let run = 1; run <= options.runs; run++) {
        for (const contender of contenders.filter(spec.applies)) {
          const label = `${spec.key} run ${run}/${options.runs} ${contender.key}`;
          context.label = `${spec.key}-run${run}-${contender.key}`;
          try {
            // oxlint-disable-next-line no-await-in-loop -- measurements must not overlap
            const metrics = await spec.measure(context, contender);
            (raw[spec.key][contender.key] ??= []).push(metrics);
            log(`${label}: ${describeRun(metrics)}`);
          } catch (error) {
            log(`${label}: FAILED ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }
    }
  } finally {
    killAllChildren();
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
  const figures = figuresFor(options).filter((figure) => figure.caseKey in summaries);
  const table = markdownTable(figures, summaries, options.contenders);
  const bars = judgeBars(summaries, options.burstSizes, REELAY_QUEUE_BOUND_BYTES);
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
      `${table}\n\n${barsText(bars)}\n\nMedians of ${options.runs} run(s). Results: ${file}\n` +
      (profileSection === '' ? '' : `\n## CPU profiles\n\n${profileSection}`),
  );
}

const watchdog = setTimeout(() => {
  log(`The benchmark ran past ${HARD_LIMIT_MS / 60_000} minutes: stopping.`);
  killAllChildren();
  process.exit(2);
}, HARD_LIMIT_MS);
watchdog.unref();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}
process.on('exit', killAllChildren);

main().then(
  () => clearTimeout(watchdog),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    killAllChildren();
    process.exitCode = 1;
  },
);
