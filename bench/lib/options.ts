import { parseArgs } from 'node:util';
import type { BenchOptions } from '../cases/context.js';
import { CONTENDER_KEYS, type ContenderKey } from './contenders.js';

export const CASE_NAMES = ['burst', 'latency', 'stalled', 'trickle'] as const;

const USAGE = `Usage: node dist/bench/run.js [options]
  --cases LIST        ${CASE_NAMES.join(',')} (default: all)
  --contenders LIST   ${CONTENDER_KEYS.join(',')} (default: all)
  --n LIST            connections for the burst case (default: 1000,10000)
  --runs N            runs per figure, the median is reported (default: 3)
  --size BYTES        size of an event's data line (default: 512)
  --quick             small N, one run, short windows: for development
  --latency-n N       connections for the latency case (default: 5000)
  --latency-rate N    events a second Reelay publishes in the latency case (default: 50)
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
    cases: values.cases ? oneOf(values.cases, CASE_NAMES, 'case') : [...CASE_NAMES],
    contenders: values.contenders
      ? oneOf<ContenderKey>(values.contenders, CONTENDER_KEYS, 'contender')
      : [...CONTENDER_KEYS],
    runs: values.runs ? positiveIntegers(values.runs, '--runs')[0] : quick ? 1 : 3,
    burstSizes: values.n ? positiveIntegers(values.n, '--n') : quick ? [1000] : [1000, 10_000],
    latencyConnections: values['latency-n']
      ? positiveIntegers(values['latency-n'], '--latency-n')[0]
      : quick
        ? 1000
        : 5000,
    latencyEventsPerSecond: values['latency-rate']
      ? positiveIntegers(values['latency-rate'], '--latency-rate')[0]
      : 50,
    latencyWarmupMs: 1000,
    latencyWindowMs: quick ? 3000 : 5000,
    stalledConnections: quick ? 200 : 1000,
    stalledEventsPerSecond: 50,
    stalledEventSize: 3072,
    stalledDurationMs: quick ? 4000 : 10_000,
    trickleConnections: quick ? 500 : 2000,
    trickleEventsPerConnection: quick ? 50 : 100,
    eventSize: values.size ? positiveIntegers(values.size, '--size')[0] : 512,
    profile: values['profile-all'] ? 'all' : values.profile ? 'reelay' : 'off',
    serverNode: values.node,
    quick,
  };
  if ([...options.burstSizes, options.latencyConnections].some((size) => size > 19_000)) {
    throw new Error('--n: one generator holds at most 19,000 connections');
  }
  return options;
}

export { USAGE };
