import { burstEventsPerConnection } from '../cases/burst.js';
import type { BenchOptions, Metrics } from '../cases/context.js';
import { failedRequestsMetric, REST_CALLS } from '../cases/rest.js';
import { CONTENDERS, type ContenderKey } from './contenders.js';
import { median } from './stats.js';

/** Every run of every case, by case key then contender. */
export type RawResults = Record<string, Partial<Record<ContenderKey, Metrics[]>>>;

/** Counts of things that must not happen: the summary keeps the worst run, not the median. */
const WORST_OF = new Set([
  'unexpectedDeliveries',
  'failedConnections',
  'healthFailures',
  ...REST_CALLS.map((call) => failedRequestsMetric(call.key)),
]);

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
  /** The count of failed requests (worst run) that, when not 0, the cell shows instead. */
  failedMetric?: string;
}

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const decimal = (digits: number) => (value: number) => value.toFixed(digits);
const kib = (value: number) => (value / 1024).toFixed(1);
const thousands = (value: number) => value.toLocaleString('en-US');
const tableLine = (cells: string[]) => `| ${cells.join(' | ')} |`;

/** Each REST call's p50 and p99, then what a request of it cost the server and its database. */
function restFigures(options: BenchOptions): Figure[] {
  const load = `${options.restClients} clients`;
  return REST_CALLS.flatMap((call): Figure[] => {
    const failedMetric = failedRequestsMetric(call.key);
    return [
      {
        label: `REST ${call.label}: p50 (ms), ${load}`,
        caseKey: 'rest',
        metric: `${call.key}P50Ms`,
        better: 'lower',
        format: decimal(2),
        failedMetric,
      },
      {
        label: '... p99 (ms)',
        caseKey: 'rest',
        metric: `${call.key}P99Ms`,
        better: 'lower',
        format: decimal(2),
        failedMetric,
      },
      {
        label: '... CPU-ms per request, the server and its PostgreSQL backends',
        caseKey: 'rest',
        metric: `${call.key}CpuMsPerRequest`,
        better: 'lower',
        format: decimal(3),
      },
      {
        label: '... of which the server process',
        caseKey: 'rest',
        metric: `${call.key}ServerCpuMsPerRequest`,
        better: 'lower',
        format: decimal(3),
      },
    ];
  });
}

export function figuresFor(options: BenchOptions): Figure[] {
  const { burstSizes } = options;
  const largest = Math.max(...burstSizes);
  const latencyN = options.latencyConnections;
  const stalledN = options.stalledConnections;
  const holdN = options.holdConnections;
  const stormN = options.stormConnections;
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
    ...options.trickleSizes.flatMap(({ connections, eventsPerConnection }): Figure[] => [
      {
        label: `Deliveries per server CPU-second, trickle (one event per request), N=${thousands(connections)} x ${eventsPerConnection} events`,
        caseKey: `trickle-${connections}`,
        metric: 'deliveriesPerCpuSecond',
        better: 'higher',
        format: integer,
      },
      {
        label: '... server CPU-s per 100k deliveries, publish requests included',
        caseKey: `trickle-${connections}`,
        metric: 'cpuSecondsPer100kDeliveries',
        better: 'lower',
        format: decimal(3),
      },
      {
        label: '... net of the publish requests',
        caseKey: `trickle-${connections}`,
        metric: 'netCpuSecondsPer100kDeliveries',
        better: 'lower',
        format: decimal(3),
      },
      {
        label: '... server CPU-ms per publish request, nobody connected (a warm pass)',
        caseKey: `trickle-${connections}`,
        metric: 'cpuMsPerPublishRequest',
        better: 'lower',
        format: decimal(3),
      },
      {
        label: "... the kernel's share of the server's CPU (system time: writes, loopback TCP)",
        caseKey: `trickle-${connections}`,
        metric: 'kernelCpuShare',
        better: 'lower',
        format: decimal(2),
      },
    ]),
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
    {
      label: `Server CPU share in the latency window (all its processes), N=${thousands(latencyN)}`,
      caseKey: 'latency',
      metric: 'serverCpuPerSecond',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: `Cores used by other processes in the latency window (should be ~0)`,
      caseKey: 'latency',
      metric: 'otherProcessesCores',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: `Server CPU-s in the burst (all its processes), N=${thousands(largest)}`,
      caseKey: `burst-${largest}`,
      metric: 'serverCpuSeconds',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: `Redis CPU-s in the burst, N=${thousands(largest)}`,
      caseKey: `burst-${largest}`,
      metric: 'redisCpuSeconds',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: `Machine CPU busy in the burst (share of all cores), N=${thousands(largest)}`,
      caseKey: `burst-${largest}`,
      metric: 'machineBusyShare',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: `Cores used by other processes in the burst (should be ~0), N=${thousands(largest)}`,
      caseKey: `burst-${largest}`,
      metric: 'otherProcessesCores',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: `SSE connections held and receiving, ${thousands(holdN)} opened (one run)`,
      caseKey: 'hold',
      metric: 'heldReceiving',
      better: 'higher',
      format: integer,
    },
    {
      label: `... connections accepted/s, ${thousands(holdN)}`,
      caseKey: 'hold',
      metric: 'acceptedPerSecond',
      better: 'higher',
      format: integer,
    },
    {
      label: `... RSS per held connection, all processes, after GC (KiB)`,
      caseKey: 'hold',
      metric: 'rssPerHeldConnectionBytes',
      better: 'lower',
      format: kib,
    },
    {
      label: `Reconnect storm, ${thousands(stormN)} clients: ms until all resumed`,
      caseKey: 'storm',
      metric: 'allResumedMs',
      better: 'lower',
      format: integer,
      flagsIncomplete: true,
    },
    {
      label: '... ms until all reconnected (response head)',
      caseKey: 'storm',
      metric: 'allReconnectedMs',
      better: 'lower',
      format: integer,
    },
    {
      label: '... resume p50 (ms)',
      caseKey: 'storm',
      metric: 'resumeP50Ms',
      better: 'lower',
      format: integer,
    },
    {
      label: '... resume p99 (ms)',
      caseKey: 'storm',
      metric: 'resumeP99Ms',
      better: 'lower',
      format: integer,
    },
    {
      label: '... connections dropped with the accept queue full (SYN retried 1 s later)',
      caseKey: 'storm',
      metric: 'acceptQueueOverflows',
      better: 'lower',
      format: integer,
    },
    {
      label: '... events lost, repeated or resynced (must be 0)',
      caseKey: 'storm',
      metric: 'brokenResumes',
      better: 'lower',
      format: integer,
    },
    {
      label: '... server CPU-ms per reconnect (all its processes)',
      caseKey: 'storm',
      metric: 'serverCpuMsPerReconnect',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: '... generator CPU-ms per reconnect',
      caseKey: 'storm',
      metric: 'generatorCpuMsPerReconnect',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: '... machine CPU busy in the storm (share of all cores)',
      caseKey: 'storm',
      metric: 'machineBusyShare',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: '... cores used by other processes in the storm (should be ~0)',
      caseKey: 'storm',
      metric: 'otherProcessesCores',
      better: 'lower',
      format: decimal(2),
    },
    {
      label: '... Redis commands per reconnect, net of the steady load',
      caseKey: 'storm',
      metric: 'redisNetCommandsPerReconnect',
      better: 'lower',
      format: decimal(3),
    },
    {
      label: '... Redis range reads (XRANGE, XREVRANGE) in the storm',
      caseKey: 'storm',
      metric: 'redisRangeReads',
      better: 'lower',
      format: integer,
    },
    ...restFigures(options),
    {
      label: '... cores used by other processes in the REST calls (should be ~0)',
      caseKey: 'rest',
      metric: 'otherProcessesCores',
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

interface RatioColumn {
  label: string;
  top: ContenderKey;
  bottom: ContenderKey;
  /** Shown even when its contenders are not in the run. */
  always?: boolean;
}

const RATIO_COLUMNS: RatioColumn[] = [
  { label: 'Reelay/plain', top: 'reelay-sse', bottom: 'plain-http', always: true },
  {
    label: 'Reelay SIO/plain SIO',
    top: 'reelay-socketio',
    bottom: 'plain-socketio',
    always: true,
  },
  { label: 'Redis bus/embedded', top: 'reelay-redis', bottom: 'reelay-sse' },
  { label: '2 workers/1 process', top: 'reelay-2w', bottom: 'reelay-sse' },
  { label: 'PostgreSQL/SQLite', top: 'reelay-postgres', bottom: 'reelay-sse' },
  { label: 'observe()/raw', top: 'reelay-observe', bottom: 'reelay-sse' },
  { label: 'scraped/not', top: 'reelay-scraped', bottom: 'reelay-sse' },
  { label: 'Reelay/nchan', top: 'reelay-sse', bottom: 'nginx-nchan' },
];

/** The failed requests a figure's cell reports instead of its value; undefined when none. */
function failedRequests(
  summaries: Summaries,
  figure: Figure,
  contender: ContenderKey,
): number | undefined {
  if (figure.failedMetric === undefined) return undefined;
  const failed = valueOf(summaries, figure.caseKey, contender, figure.failedMetric);
  return failed === undefined || failed === 0 ? undefined : failed;
}

/** Whether some contender of the run has the figure: a value, or failed requests instead. */
export function figureMeasured(
  figure: Figure,
  summaries: Summaries,
  contenders: readonly ContenderKey[],
): boolean {
  return contenders.some(
    (key) =>
      valueOf(summaries, figure.caseKey, key, figure.metric) !== undefined ||
      failedRequests(summaries, figure, key) !== undefined,
  );
}

/** The Markdown table: one row per figure, one column per contender, then the ratios. */
export function markdownTable(
  figures: Figure[],
  summaries: Summaries,
  contenders: readonly ContenderKey[],
): string {
  const columns = RATIO_COLUMNS.filter(
    (column) =>
      column.always === true ||
      (contenders.includes(column.top) && contenders.includes(column.bottom)),
  );
  const header = [
    'Figure',
    ...contenders.map((key) => CONTENDERS[key].label),
    ...columns.map((column) => column.label),
  ];
  const rows = figures.map((figure) => {
    const cells = contenders.map((key) => {
      const failed = failedRequests(summaries, figure, key);
      if (failed !== undefined) return `${integer(failed)} failed`;
      const value = valueOf(summaries, figure.caseKey, key, figure.metric);
      if (value === undefined) return 'n/a';
      const complete = summaries[figure.caseKey]?.[key]?.complete;
      const incomplete = figure.flagsIncomplete === true && complete === false;
      return figure.format(value) + (incomplete ? ' (incomplete)' : '');
    });
    const ratios = columns
      .map((column) => ratio(summaries, figure.caseKey, figure.metric, column.top, column.bottom))
      .map((value) => (value === undefined ? 'n/a' : `${value.toFixed(2)}x`));
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
  sharedBus?: SharedBusTargets,
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
    judge(
      `Reelay /sse burst deliveries/s with /metrics scraped every second >= 0.95x without, N=${size.toLocaleString('en-US')}`,
      ratio(summaries, `burst-${size}`, 'deliveriesPerSecond', 'reelay-scraped', 'reelay-sse'),
      (value) => value >= 0.95,
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
  const reelayKeys = ['reelay-sse', 'reelay-socketio', 'reelay-redis', 'reelay-2w'] as const;
  const overDelivered = reelayKeys.flatMap((contender) =>
    Object.values(summaries).map((byContender) => byContender[contender]?.unexpectedDeliveries),
  );
  const measured = overDelivered.filter((value) => typeof value === 'number');
  judge(
    'Reelay delivers nothing beyond what the grants allow (burst, trickle, hold: received = expected)',
    measured.length === 0 ? undefined : Math.max(...measured),
    (value) => value === 0,
    (value) => `${value} unexpected deliveries in the worst run`,
  );
  const failedRest = (['reelay-sse', 'reelay-postgres'] as const).flatMap((contender) =>
    REST_CALLS.map((call) => valueOf(summaries, 'rest', contender, failedRequestsMetric(call.key))),
  );
  const restMeasured = failedRest.filter((value) => value !== undefined);
  judge(
    'Reelay answers every REST request of the rest case as it should (status 200 or 201), on SQLite and PostgreSQL',
    restMeasured.length === 0 ? undefined : restMeasured.reduce((sum, value) => sum + value, 0),
    (value) => value === 0,
    (value) => `${integer(value)} failed requests over the calls' worst runs`,
  );
  const judgeSocketIo = (
    label: string,
    caseKey: string,
    metric: string,
    ok: (value: number) => boolean,
  ) =>
    judge(
      label,
      ratio(summaries, caseKey, metric, 'reelay-socketio', 'plain-socketio'),
      ok,
      (value) => `${value.toFixed(2)}x`,
    );
  for (const size of burstSizes) {
    judgeSocketIo(
      `Reelay Socket.IO burst deliveries/s >= plain Socket.IO, N=${size.toLocaleString('en-US')}`,
      `burst-${size}`,
      'deliveriesPerSecond',
      (value) => value >= 1,
    );
  }
  judgeSocketIo(
    `Reelay Socket.IO server CPU per delivery <= plain Socket.IO, burst N=${largest.toLocaleString('en-US')}`,
    `burst-${largest}`,
    'serverCpuPer100kDeliveries',
    atMostPlain,
  );
  // The channel's own cost: the publish requests are Reelay's REST stack (auth, validation, the
  // event log), the same for both transports, against a bare endpoint; the table shows both.
  const trickleKeys = Object.keys(summaries)
    .filter((key) => /^trickle-\d+$/.test(key))
    .sort((a, b) => Number(a.slice('trickle-'.length)) - Number(b.slice('trickle-'.length)));
  for (const key of trickleKeys) {
    const n = thousands(Number(key.slice('trickle-'.length)));
    judge(
      `Reelay /sse deliveries per server CPU-second >= 1.0x nginx+nchan when events trickle, N=${n}`,
      ratio(summaries, key, 'deliveriesPerCpuSecond', 'reelay-sse', 'nginx-nchan'),
      (value) => value >= 1,
      (value) => `${value.toFixed(2)}x`,
    );
    judge(
      `Reelay /sse server CPU per delivery <= plain node:http when events trickle, publish requests included, N=${n}`,
      ratio(summaries, key, 'cpuSecondsPer100kDeliveries', 'reelay-sse', 'plain-http'),
      atMostPlain,
      (value) => `${value.toFixed(2)}x`,
    );
  }
  if (trickleKeys.length > 0) {
    judgeSocketIo(
      'Reelay Socket.IO server CPU per delivery <= plain Socket.IO when events trickle, net of the publish requests (plain Socket.IO in rooms per library)',
      trickleKeys[0],
      'netCpuSecondsPer100kDeliveries',
      atMostPlain,
    );
  }
  judgeSocketIo(
    `Reelay Socket.IO memory per idle connection (RSS at rest) <= plain Socket.IO, N=${thousands(largest)}`,
    `burst-${largest}`,
    'rssPerIdleConnectionAtRestBytes',
    atMostPlain,
  );
  if (sharedBus?.contenders.includes('reelay-2w')) {
    sharedBusBars(summaries, burstSizes, sharedBus, judge);
  }
  return bars;
}

/** What the shared-bus bars are judged at (the run's options). */
export type SharedBusTargets = Pick<
  BenchOptions,
  'contenders' | 'holdConnections' | 'latencyConnections' | 'stormConnections'
>;

type Judge = (
  label: string,
  value: number | undefined,
  ok: (value: number) => boolean,
  detail: (value: number) => string,
) => void;

/** A ratio to the plain contender that is no worse than it. */
function atMostPlain(value: number): boolean {
  return value <= 1;
}

/** Two workers must at least this many times one process's burst deliveries/s. */
const WORKERS_BURST_GAIN = 1.6;
/** The p99 latency two workers may add to one process's. */
const WORKERS_P99_EXTRA_MS = 5;
/** The reconnect storm's deadline for every client to have resumed. */
const STORM_RESUMED_MS = 3000;

/**
 * The goals of the shared bus (EVENT_BUS=redis, WORKERS=2) against one process on the embedded
 * bus: throughput, connections held, cross-process latency, and a reconnect storm.
 */
function sharedBusBars(
  summaries: Summaries,
  burstSizes: readonly number[],
  options: SharedBusTargets,
  judge: Judge,
): void {
  const largest = Math.max(...burstSizes);
  const burstKey = `burst-${largest}`;
  const cpu = (metric: string) => valueOf(summaries, burstKey, 'reelay-2w', metric);
  judge(
    `Reelay 2 workers burst deliveries/s >= ${WORKERS_BURST_GAIN}x one process (embedded bus), N=${thousands(largest)}`,
    ratio(summaries, burstKey, 'deliveriesPerSecond', 'reelay-2w', 'reelay-sse'),
    (value) => value >= WORKERS_BURST_GAIN,
    (value) => {
      const burstMs = cpu('burstMs');
      const detail = [
        `${value.toFixed(2)}x`,
        `2 workers: burst ${burstMs === undefined ? 'n/a' : (burstMs / 1000).toFixed(2)} s`,
        `server ${cpu('serverCpuSeconds')?.toFixed(2) ?? 'n/a'} CPU-s`,
        `generator ${cpu('generatorCpuSeconds')?.toFixed(2) ?? 'n/a'}`,
        `Redis ${cpu('redisCpuSeconds')?.toFixed(2) ?? 'n/a'}`,
        `machine ${((cpu('machineBusyShare') ?? Number.NaN) * 100).toFixed(0)}% busy`,
      ];
      const sse = valueOf(summaries, burstKey, 'reelay-sse', 'machineBusyShare');
      if (sse !== undefined) detail.push(`one process: machine ${(sse * 100).toFixed(0)}% busy`);
      return detail.join('; ');
    },
  );
  const held = valueOf(summaries, 'hold', 'reelay-2w', 'heldReceiving');
  judge(
    `Reelay 2 workers holds >= ${thousands(options.holdConnections)} SSE connections, all receiving`,
    held,
    (value) => value >= options.holdConnections,
    (value) => {
      const failed = valueOf(summaries, 'hold', 'reelay-2w', 'failedConnections') ?? 0;
      const generators = valueOf(summaries, 'hold', 'reelay-2w', 'generators') ?? 0;
      return `${thousands(value)} held (${failed} failed in the worst run), over ${generators} generator processes`;
    },
  );
  const kept = (contender: ContenderKey) => {
    const rate = valueOf(summaries, 'latency', contender, 'eventsPerConnectionPerSecond');
    const target = valueOf(summaries, 'latency', contender, 'targetPerConnectionPerSecond');
    return rate === undefined || target === undefined ? 0 : rate / target;
  };
  const p99Workers = valueOf(summaries, 'latency', 'reelay-2w', 'p99Ms');
  const p99One = valueOf(summaries, 'latency', 'reelay-sse', 'p99Ms');
  judge(
    `Reelay 2 workers p99 latency <= one process + ${WORKERS_P99_EXTRA_MS} ms (published on one worker, delivered by both), N=${thousands(options.latencyConnections)}`,
    p99Workers === undefined || p99One === undefined ? undefined : p99Workers - p99One,
    (value) =>
      value <= WORKERS_P99_EXTRA_MS &&
      kept('reelay-2w') >= SUSTAINED &&
      kept('reelay-sse') >= SUSTAINED,
    (value) =>
      `${value >= 0 ? '+' : ''}${value.toFixed(2)} ms (${p99Workers?.toFixed(2)} vs ${p99One?.toFixed(2)} ms); ` +
      `received ${(kept('reelay-2w') * 100).toFixed(0)}% and ${(kept('reelay-sse') * 100).toFixed(0)}% of the events due; ` +
      `2 workers: generator ${valueOf(summaries, 'latency', 'reelay-2w', 'generatorCpuPerSecond')?.toFixed(2) ?? 'n/a'} cores, ` +
      `server ${valueOf(summaries, 'latency', 'reelay-2w', 'serverCpuPerSecond')?.toFixed(2) ?? 'n/a'} cores, ` +
      `machine ${((valueOf(summaries, 'latency', 'reelay-2w', 'machineBusyShare') ?? Number.NaN) * 100).toFixed(0)}% busy`,
  );
  const storm = (metric: string) => valueOf(summaries, 'storm', 'reelay-2w', metric);
  const stormComplete = summaries.storm?.['reelay-2w']?.complete === true;
  judge(
    `Reelay 2 workers reconnect storm: ${thousands(options.stormConnections)} clients all resumed with Last-Event-ID within ${STORM_RESUMED_MS / 1000} s, nothing lost, repeated or resynced`,
    storm('allResumedMs'),
    (value) => value <= STORM_RESUMED_MS && stormComplete && storm('brokenResumes') === 0,
    (value) => {
      const one = valueOf(summaries, 'storm', 'reelay-sse', 'allResumedMs');
      return (
        `${integer(value)} ms (all reconnected at ${integer(storm('allReconnectedMs') ?? Number.NaN)} ms, ` +
        `p99 ${integer(storm('resumeP99Ms') ?? Number.NaN)} ms), ${storm('brokenResumes') ?? 'n/a'} broken` +
        (stormComplete ? '' : ', NOT all resumed') +
        (one === undefined ? '' : `; one process: ${integer(one)} ms`)
      );
    },
  );
  judge(
    'Reelay 2 workers storm: resumes served from memory (Redis commands per reconnect < 0.1 net of the steady load, no range read)',
    storm('redisNetCommandsPerReconnect'),
    (value) => value < 0.1 && storm('redisRangeReads') === 0,
    (value) =>
      `${value.toFixed(3)} net (${storm('redisCommandsPerReconnect')?.toFixed(3) ?? 'n/a'} gross), ` +
      `${storm('redisRangeReads') ?? 'n/a'} range reads`,
  );
}

export function barsText(bars: Bar[]): string {
  return bars.map((bar) => `- ${bar.verdict} ${bar.label}: ${bar.detail}`).join('\n');
}
