import { burstEventsPerConnection } from '../cases/burst.js';
import type { BenchOptions, Metrics } from '../cases/context.js';
import { CONTENDERS, type ContenderKey } from './contenders.js';
import { median } from './stats.js';

/** Every run of every case, by case key then contender. */
export type RawResults = Record<string, Partial<Record<ContenderKey, Metrics[]>>>;

/** Counts of things that must not happen: the summary keeps the worst run, not the median. */
const WORST_OF = new Set(['unexpectedDeliveries', 'failedConnections', 'healthFailures']);

/**
 * The median of each numeric metric over the runs (the worst for WORST_OF); `complete` is true
 * only if every run was.
 */
export function summarise(runs: Metrics[]): Metrics {
  const summary: Metrics = { runs: runs.length };
  const keys = new Set(runs.flatMap((run) => Object.keys(run)));
  for (const key of keys) {
    const values = runs.map((run) => run[key]);
    if (values.every((value) => typeof value === 'number')) {
      summary[key] = WORST_OF.has(key) ? Math.max(...values) : median(values);
    } else if (values.every((value) => typeof value === 'boolean'))
      summary[key] = values.every(Boolean);
  }
  return summary;
}

export type Summaries = Record<string, Partial<Record<ContenderKey, Metrics>>>;

export interface Figure {
  label: string;
  caseKey: string;
  metric: string;
  better: 'higher' | 'lower';
  format: (value: number) => string;
  /** Marks the value when some run did not receive everything before its time ran out. */
  flagsIncomplete?: boolean;
}

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const decimal = (digits: number) => (value: number) => value.toFixed(digits);
const kib = (value: number) => (value / 1024).toFixed(1);
const thousands = (value: number) => value.toLocaleString('en-US');
const tableLine = (cells: string[]) => `| ${cells.join(' | ')} |`;

export function figuresFor(options: BenchOptions): Figure[] {
  const { burstSizes } = options;
  const largest = Math.max(...burstSizes);
  const latencyN = options.latencyConnections;
  const stalledN = options.stalledConnections;
  const trickleN = options.trickleConnections;
  return [
    ...burstSizes.map((size): Figure => ({
      label: `Burst deliveries/s, N=${thousands(size)} x ${burstEventsPerConnection(size)} events`,
      caseKey: `burst-${size}`,
      metric: 'deliveriesPerSecond',
      better: 'higher',
      format: integer,
      flagsIncomplete: true,
    })),
    {
      label: `Latency p50 (ms), N=${thousands(latencyN)}`,
      caseKey: 'latency',
      metric: 'p50Ms',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: `Latency p99 (ms), N=${thousands(latencyN)}`,
      caseKey: 'latency',
      metric: 'p99Ms',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: `... events/s scheduled (Reelay: ${options.latencyEventsPerSecond})`,
      caseKey: 'latency',
      metric: 'eventsPerSecond',
      better: 'higher',
      format: decimal(1),
    },
    {
      label: '... events/s received per connection (all should match)',
      caseKey: 'latency',
      metric: 'eventsPerConnectionPerSecond',
      better: 'higher',
      format: decimal(1),
    },
    {
      label: `RSS per idle connection at rest (KiB), N=${thousands(largest)}`,
      caseKey: `burst-${largest}`,
      metric: 'rssPerIdleConnectionAtRestBytes',
      better: 'lower',
      format: kib,
    },
    {
      label: `... 2 s after the connection storm, after a full GC`,
      caseKey: `burst-${largest}`,
      metric: 'rssPerIdleConnectionBytes',
      better: 'lower',
      format: kib,
    },
    {
      label: `Connections accepted/s, N=${thousands(largest)}`,
      caseKey: `burst-${largest}`,
      metric: 'acceptedPerSecond',
      better: 'higher',
      format: integer,
    },
    {
      label: `RSS kept per stalled client after GC (KiB), ${thousands(stalledN)} stalled`,
      caseKey: 'stalled',
      metric: 'rssGrowthPerClientBytes',
      better: 'lower',
      format: kib,
    },
    {
      label: `RSS peak growth per stalled client (KiB), ${thousands(stalledN)} stalled`,
      caseKey: 'stalled',
      metric: 'rssPeakGrowthPerClientBytes',
      better: 'lower',
      format: kib,
    },
    {
      label: '/health max while stalled (ms)',
      caseKey: 'stalled',
      metric: 'healthMaxMs',
      better: 'lower',
      format: decimal(1),
    },
    {
      label: `Server CPU-s per 100k deliveries, trickle, N=${thousands(trickleN)}`,
      caseKey: 'trickle',
      metric: 'cpuSecondsPer100kDeliveries',
      better: 'lower',
      format: decimal(3),
    },
    {
      label: `... net of the publish requests`,
      caseKey: 'trickle',
      metric: 'netCpuSecondsPer100kDeliveries',
      better: 'lower',
      format: decimal(3),
    },
    {
      label: `Server CPU-s per 100k deliveries, burst, N=${thousands(largest)}`,
      caseKey: `burst-${largest}`,
      metric: 'serverCpuPer100kDeliveries',
      better: 'lower',
      format: decimal(3),
    },
    {
      label: `Generator CPU-s in the burst, N=${thousands(largest)}`,
      caseKey: `burst-${largest}`,
      metric: 'generatorCpuSeconds',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: `Generator CPU share in the latency window, N=${thousands(latencyN)}`,
      caseKey: 'latency',
      metric: 'generatorCpuPerSecond',
      better: 'lower',
      format: decimal(2),
    },
  ];
}

function valueOf(
  summaries: Summaries,
  caseKey: string,
  contender: ContenderKey,
  metric: string,
): number | undefined {
  const value = summaries[caseKey]?.[contender]?.[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function ratio(
  summaries: Summaries,
  caseKey: string,
  metric: string,
  top: ContenderKey,
  bottom: ContenderKey,
): number | undefined {
  const a = valueOf(summaries, caseKey, top, metric);
  const b = valueOf(summaries, caseKey, bottom, metric);
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** The Markdown table: one row per figure, one column per contender, then the two ratios. */
export function markdownTable(
  figures: Figure[],
  summaries: Summaries,
  contenders: readonly ContenderKey[],
): string {
  const header = [
    'Figure',
    ...contenders.map((key) => CONTENDERS[key].label),
    'Reelay/plain',
    'Reelay SIO/plain SIO',
  ];
  const rows = figures.map((figure) => {
    const cells = contenders.map((key) => {
      const value = valueOf(summaries, figure.caseKey, key, figure.metric);
      if (value === undefined) return 'n/a';
      const complete = summaries[figure.caseKey]?.[key]?.complete;
      const incomplete = figure.flagsIncomplete === true && complete === false;
      return figure.format(value) + (incomplete ? ' (incomplete)' : '');
    });
    const ratios = [
      ratio(summaries, figure.caseKey, figure.metric, 'reelay-sse', 'plain-http'),
      ratio(summaries, figure.caseKey, figure.metric, 'reelay-socketio', 'plain-socketio'),
    ].map((value) => (value === undefined ? 'n/a' : `${value.toFixed(2)}x`));
    return [figure.label, ...cells, ...ratios];
  });
  return [tableLine(header), tableLine(header.map(() => '---')), ...rows.map(tableLine)].join('\n');
}

export interface Bar {
  label: string;
  verdict: 'PASS' | 'MISS' | 'n/a';
  detail: string;
}

/** A server that delivers less than this share of the events due has fallen behind. */
const SUSTAINED = 0.9;

/** The goals of the issue, each judged from the medians. */
export function judgeBars(
  summaries: Summaries,
  burstSizes: readonly number[],
  queueBoundBytes: number,
): Bar[] {
  const bars: Bar[] = [];
  const judge = (
    label: string,
    value: number | undefined,
    ok: (value: number) => boolean,
    detail: (value: number) => string,
  ) => {
    bars.push(
      value === undefined
        ? { label, verdict: 'n/a', detail: 'not measured' }
        : { label, verdict: ok(value) ? 'PASS' : 'MISS', detail: detail(value) },
    );
  };
  for (const size of burstSizes) {
    judge(
      `Reelay /sse burst deliveries/s >= 0.8x plain node:http, N=${size.toLocaleString('en-US')}`,
      ratio(summaries, `burst-${size}`, 'deliveriesPerSecond', 'reelay-sse', 'plain-http'),
      (value) => value >= 0.8,
      (value) => `${value.toFixed(2)}x`,
    );
  }
  // A latency only compares at the same load: a server that fell behind was not at the rate.
  const kept = (contender: ContenderKey) => {
    const rate = valueOf(summaries, 'latency', contender, 'eventsPerConnectionPerSecond');
    const target = valueOf(summaries, 'latency', contender, 'targetPerConnectionPerSecond');
    return rate === undefined || target === undefined ? undefined : rate / target;
  };
  const reelayKept = kept('reelay-sse') ?? 0;
  const plainKept = kept('plain-http') ?? 0;
  judge(
    'Reelay /sse p99 latency <= 1.25x plain node:http, both keeping up with the rate',
    ratio(summaries, 'latency', 'p99Ms', 'reelay-sse', 'plain-http'),
    (value) => value <= 1.25 && reelayKept >= SUSTAINED,
    (value) =>
      `${value.toFixed(2)}x; received ${(reelayKept * 100).toFixed(0)}% (Reelay) and ` +
      `${(plainKept * 100).toFixed(0)}% (plain) of the events due in the window`,
  );
  const largest = Math.max(...burstSizes);
  // Both readings: at rest is what an idle connection holds; 2 s after the storm also counts
  // what opening it left behind.
  const memoryRatio = (metric: string) =>
    ratio(summaries, `burst-${largest}`, metric, 'reelay-sse', 'plain-http');
  const atRest = memoryRatio('rssPerIdleConnectionAtRestBytes');
  const afterStorm = memoryRatio('rssPerIdleConnectionBytes');
  judge(
    'Reelay /sse RSS per idle connection <= 1.5x plain node:http, at rest and 2 s after the connection storm',
    atRest === undefined || afterStorm === undefined ? undefined : Math.max(atRest, afterStorm),
    (value) => value <= 1.5,
    () => `${atRest?.toFixed(2)}x at rest, ${afterStorm?.toFixed(2)}x after the storm`,
  );
  const stalled = summaries.stalled?.['reelay-sse'];
  const growth = valueOf(summaries, 'stalled', 'reelay-sse', 'rssGrowthPerClientBytes');
  const healthMax = valueOf(summaries, 'stalled', 'reelay-sse', 'healthMaxMs');
  const healthFailures = valueOf(summaries, 'stalled', 'reelay-sse', 'healthFailures') ?? 0;
  judge(
    `Reelay /sse stalled clients cost <= their queue bound (${kib(queueBoundBytes)} KiB) each; /health answers (< 1 s)`,
    stalled === undefined ? undefined : growth,
    (value) =>
      value <= queueBoundBytes &&
      healthMax !== undefined &&
      healthMax < 1000 &&
      healthFailures === 0,
    (value) =>
      `${kib(value)} KiB per client, /health max ${healthMax?.toFixed(1) ?? 'n/a'} ms, ${healthFailures} failed`,
  );
  const overDelivered = (['reelay-sse', 'reelay-socketio'] as const).flatMap((contender) =>
    Object.values(summaries).map((byContender) => byContender[contender]?.unexpectedDeliveries),
  );
  const measured = overDelivered.filter((value) => typeof value === 'number');
  judge(
    'Reelay delivers nothing beyond what the grants allow (burst, trickle: received = expected)',
    measured.length === 0 ? undefined : Math.max(...measured),
    (value) => value === 0,
    (value) => `${value} unexpected deliveries in the worst run`,
  );
  for (const size of burstSizes) {
    judge(
      `Reelay Socket.IO burst deliveries/s >= plain Socket.IO, N=${size.toLocaleString('en-US')}`,
      ratio(summaries, `burst-${size}`, 'deliveriesPerSecond', 'reelay-socketio', 'plain-socketio'),
      (value) => value >= 1,
      (value) => `${value.toFixed(2)}x`,
    );
  }
  judge(
    `Reelay Socket.IO server CPU per delivery <= plain Socket.IO, burst N=${largest.toLocaleString('en-US')}`,
    ratio(
      summaries,
      `burst-${largest}`,
      'serverCpuPer100kDeliveries',
      'reelay-socketio',
      'plain-socketio',
    ),
    (value) => value <= 1,
    (value) => `${value.toFixed(2)}x`,
  );
  return bars;
}

export function barsText(bars: Bar[]): string {
  return bars.map((bar) => `- ${bar.verdict} ${bar.label}: ${bar.detail}`).join('\n');
}
