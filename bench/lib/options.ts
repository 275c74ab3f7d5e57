import { parseArgs } from 'node:util';
import type { BenchOptions } from '../cases/context.js';
import { CONTENDER_KEYS, type ContenderKey } from './contenders.js';
import { DEFAULT_POSTGRES_URL } from './postgres.js';

export const CASE_NAMES = [
  'burst',
  'latency',
  'stalled',
  'trickle',
  'hold',
  'storm',
  'rest',
] as const;

/** What --quick runs unless told otherwise: the shared bus's contenders and cases are left out. */
const QUICK_CASES: readonly (typeof CASE_NAMES)[number][] = [
  'burst',
  'latency',
  'stalled',
  'trickle',
  'rest',
];
const QUICK_CONTENDERS: readonly ContenderKey[] = CONTENDER_KEYS.filter(
  (key) => key !== 'reelay-redis' && key !== 'reelay-2w',
);

/** What one load generator (or one server process) can hold: 20,000 open files a process. */
const MAX_PER_PROCESS = 19_000;

const USAGE = `Usage: node dist/bench/run.js [options]
  --cases LIST        ${CASE_NAMES.join(',')}
                      (default: all; --quick: ${QUICK_CASES.join(',')})
  --contenders LIST   ${CONTENDER_KEYS.join(',')}
                      (default: all; --quick: all but reelay-redis,reelay-2w;
                      reelay-postgres runs in the rest case only, which runs on it and reelay-sse)
  --n LIST            connections for the burst case (default: 1000,10000)
  --runs N            runs per figure, the median is reported (default: 3)
  --size BYTES        size of an event's data line (default: 512)
  --quick             small N, one run, short windows: for development
  --latency-n N       connections for the latency case (default: 5000)
  --latency-rate N    events a second Reelay publishes in the latency case (default: 50)
  --hold-n N          connections the hold case opens over several generators (default: 30000)
  --storm-n N         connections of the reconnect storm (default: 10000)
  --storm-rate N      events a second published during the storm (default: 2)
  --storm-concurrency N
                      reconnections in flight at once in the storm (default: 500, under
                      the listen backlog of Node's default servers, 511)
  --rest-clients N    clients of the rest case, each with a user's token and one kept-alive
                      connection, one request after the other (default: 8)
  --rest-requests N   timed requests of each REST call in the rest case (default: 4000;
                      --quick: 500)
  --postgres-url URL  the PostgreSQL the reelay-postgres contender's databases are created on,
                      one per start, dropped after it (default: ${DEFAULT_POSTGRES_URL})
  --retries N         measurements during which other processes used a quarter of a core or
                      more are taken again, after waiting for a quiet machine (default: 2)
  --redis-url URL     the Redis of the EVENT_BUS=redis contenders (default: the bench starts its
                      own redis-server on a free port, else uses redis://127.0.0.1:6379)
  --profile           write V8 CPU profiles of the Reelay server to bench/results/profiles
  --profile-all       the same for every server under test
  --node PATH         run the servers on this Node binary (default: the one running the bench)
  --help`;

function positiveIntegers(raw: string, name: string): number[] {
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || !values.every((value) => Number.isInteger(value) && value > 0)) {
    throw new Error(`${name} must be positive whole numbers, comma-separated (got "${raw}")`);
  }
  return values;
}

/** The option's one positive whole number; undefined when it was not given. */
function positiveInteger(raw: string | undefined, name: string): number | undefined {
  return raw ? positiveIntegers(raw, name)[0] : undefined;
}

function nonNegativeInteger(raw: string, name: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number, 0 or more (got "${raw}")`);
  }
  return value;
}

function postgresUrl(raw: string): string {
  if (!URL.canParse(raw) || !['postgres:', 'postgresql:'].includes(new URL(raw).protocol)) {
    throw new Error(`--postgres-url must be a postgres:// URL (got "${raw}")`);
  }
  return raw;
}

function oneOf<T extends string>(raw: string, allowed: readonly T[], name: string): T[] {
  const values = raw.split(',').map((part) => part.trim());
  const unknown = values.filter((value) => !(allowed as readonly string[]).includes(value));
  if (unknown.length > 0) {
    throw new Error(`unknown ${name}: ${unknown.join(', ')} (known: ${allowed.join(', ')})`);
  }
  return values as T[];
}

/** The options of a run; throws with the usage text for a bad argument. */
export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      cases: { type: 'string' },
      contenders: { type: 'string' },
      n: { type: 'string' },
      runs: { type: 'string' },
      size: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'latency-n': { type: 'string' },
      'latency-rate': { type: 'string' },
      'hold-n': { type: 'string' },
      'storm-n': { type: 'string' },
      'storm-rate': { type: 'string' },
      'storm-concurrency': { type: 'string' },
      'redis-url': { type: 'string' },
      'rest-clients': { type: 'string' },
      'rest-requests': { type: 'string' },
      'postgres-url': { type: 'string' },
      retries: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'profile-all': { type: 'boolean', default: false },
      node: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const options: BenchOptions = {
    cases: values.cases
      ? oneOf(values.cases, CASE_NAMES, 'case')
      : [...(quick ? QUICK_CASES : CASE_NAMES)],
    contenders: values.contenders
      ? oneOf<ContenderKey>(values.contenders, CONTENDER_KEYS, 'contender')
      : [...(quick ? QUICK_CONTENDERS : CONTENDER_KEYS)],
    runs: positiveInteger(values.runs, '--runs') ?? (quick ? 1 : 3),
    burstSizes: values.n ? positiveIntegers(values.n, '--n') : quick ? [1000] : [1000, 10_000],
    latencyConnections:
      positiveInteger(values['latency-n'], '--latency-n') ?? (quick ? 1000 : 5000),
    latencyEventsPerSecond: positiveInteger(values['latency-rate'], '--latency-rate') ?? 50,
    latencyWarmupMs: 1000,
    latencyWindowMs: quick ? 3000 : 5000,
    stalledConnections: quick ? 200 : 1000,
    stalledEventsPerSecond: 50,
    stalledEventSize: 3072,
    stalledDurationMs: quick ? 4000 : 10_000,
    trickleSizes: quick
      ? [{ connections: 500, eventsPerConnection: 50 }]
      : [
          { connections: 2000, eventsPerConnection: 100 },
          { connections: 10_000, eventsPerConnection: 50 },
        ],
    holdConnections: positiveInteger(values['hold-n'], '--hold-n') ?? (quick ? 2000 : 30_000),
    stormConnections: positiveInteger(values['storm-n'], '--storm-n') ?? (quick ? 1000 : 10_000),
    stormEventsPerSecond: positiveInteger(values['storm-rate'], '--storm-rate') ?? 2,
    stormConcurrency: positiveInteger(values['storm-concurrency'], '--storm-concurrency') ?? 500,
    restClients: positiveInteger(values['rest-clients'], '--rest-clients') ?? 8,
    restRequests:
      positiveInteger(values['rest-requests'], '--rest-requests') ?? (quick ? 500 : 4000),
    restWarmupRequests: quick ? 100 : 500,
    postgresUrl: values['postgres-url']
      ? postgresUrl(values['postgres-url'])
      : DEFAULT_POSTGRES_URL,
    redisUrl: values['redis-url'],
    retries: values.retries === undefined ? 2 : nonNegativeInteger(values.retries, '--retries'),
    eventSize: positiveInteger(values.size, '--size') ?? 512,
    profile: values['profile-all'] ? 'all' : values.profile ? 'reelay' : 'off',
    serverNode: values.node,
    quick,
  };
  const oneGenerator = [
    ...options.burstSizes,
    options.latencyConnections,
    options.stormConnections,
  ];
  if (oneGenerator.some((size) => size > MAX_PER_PROCESS)) {
    throw new Error(
      '--n, --latency-n, --storm-n: one generator holds at most 19,000 connections (--hold-n spreads over several)',
    );
  }
  if (options.holdConnections > 100_000) throw new Error('--hold-n: at most 100,000');
  return options;
}

export { USAGE };
