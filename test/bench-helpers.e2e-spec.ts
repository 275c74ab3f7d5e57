import * as fc from 'fast-check';
import {
  broadcastFleet,
  routedFleet,
  eventPlan,
  meanRecipients,
  reelayFleet,
} from '../bench/lib/fleet.js';
import { parseCpuTicks, parseCpuTimes, parseVmRssBytes, restingRss } from '../bench/lib/proc.js';
import type { ReelayWorld } from '../bench/lib/reelay-world.js';
import { NumberFieldScanner, PatternCounter } from '../bench/lib/sse-scan.js';
import { judgeBars, type Summaries } from '../bench/lib/report.js';
import { median, percentileOfSorted, summariseLatencies } from '../bench/lib/stats.js';

/** Cuts `bytes` at the given offsets (in any order, duplicates allowed). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) chunks.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  return chunks;
}

const frame = (id: number, sentAt: number, padding: string) =>
  `event: medias\nid: ${id}\ndata: {"Medias":{"d":"${padding}","sentAt":${sentAt}}}\n\n`;

describe('bench stream scanners', () => {
  const streams = fc.array(
    fc.record({
      sentAt: fc.double({ min: 0, max: 2e12, noNaN: true }),
      padding: fc.string({ unit: fc.constantFrom('a', 'i', 'd', ':', ' ', 'x'), maxLength: 20 }),
      chunkHeader: fc.boolean(),
    }),
    { maxLength: 30 },
  );

  it('count every frame and read every value once, however the stream is split', () => {
    fc.assert(
      fc.property(streams, fc.array(fc.nat(), { maxLength: 60 }), (frames, cuts) => {
        const text = frames
          .map((f, i) => (f.chunkHeader ? '\r\n1f4\r\n' : '') + frame(i + 1, f.sentAt, f.padding))
          .join(':ping\n\n');
        const counter = new PatternCounter('\nid: ');
        const scanner = new NumberFieldScanner('"sentAt":');
        const values: number[] = [];
        let frameCount = 0;
        let valueCount = 0;
        for (const chunk of split(Buffer.from(text, 'latin1'), cuts)) {
          frameCount += counter.count(chunk);
          valueCount += scanner.scan(chunk, (value) => values.push(value));
        }
        expect(frameCount).toBe(frames.length);
        expect(valueCount).toBe(frames.length);
        expect(values).toEqual(frames.map((f) => f.sentAt));
      }),
      { numRuns: 300 },
    );
  });

  it('counts a pattern split one byte at a time', () => {
    const counter = new PatternCounter('\nid: ');
    const bytes = Buffer.from(frame(1, 5, '') + frame(2, 6, ''), 'latin1');
    let found = 0;
    for (let i = 0; i < bytes.length; i++) found += counter.count(bytes.subarray(i, i + 1));
    expect(found).toBe(2);
  });

  it('waits for the byte after a number before reading it', () => {
    const scanner = new NumberFieldScanner('"skipped":');
    const values: number[] = [];
    scanner.scan(Buffer.from('{"Lagged":{"skipped":12'), (value) => values.push(value));
    expect(values).toEqual([]);
    scanner.scan(Buffer.from('3}}\n\n'), (value) => values.push(value));
    expect(values).toEqual([123]);
  });
});

describe('bench /proc parsing', () => {
  it('reads VmRSS in bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t  900 kB\nVmRSS:\t   51234 kB\nThreads:\t7\n';
    expect(parseVmRssBytes(status)).toBe(51234 * 1024);
    expect(() => parseVmRssBytes('Name:\tnode\n')).toThrow('VmRSS');
  });

  it('reads utime + stime even when the command name holds spaces and parentheses', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 250 37 0 0 20 0 11 0 100';
    expect(parseCpuTicks(`4242 (node) ${rest}`)).toBe(287);
    expect(parseCpuTicks(`4242 (my (odd) name) ${rest}`)).toBe(287);
    expect(parseCpuTimes(`4242 (my (odd) name) ${rest}`)).toEqual({ user: 250, system: 37 });
  });
});

describe('bench statistics', () => {
  it('takes the median of the finite values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileOfSorted(sorted, 50)).toBe(50);
    expect(percentileOfSorted(sorted, 99)).toBe(99);
    expect(percentileOfSorted(sorted, 100)).toBe(100);
    expect(percentileOfSorted([7], 99)).toBe(7);
    const summary = summariseLatencies(Float64Array.from([5, 1, 4, 2, 3]));
    expect(summary).toMatchObject({ count: 5, p50: 3, p99: 5, max: 5 });
  });
});

describe('bench fleets and event plans', () => {
  const world: ReelayWorld = {
    adminToken: 'admin-token',
    libraries: ['a', 'b', 'c'],
    users: [
      { id: 'u1', username: 'u1', token: 't1', serverAdmin: true, grants: {} },
      { id: 'u2', username: 'u2', token: 't2', serverAdmin: false, grants: { a: 'read' } },
      {
        id: 'u3',
        username: 'u3',
        token: 't3',
        serverAdmin: false,
        grants: { b: 'write', c: 'admin' },
      },
    ],
  };

  it('counts, for each library, the connections that may receive its events', () => {
    const fleet = reelayFleet(world, 6, '/sse', { filterEvery: 3 });
    expect(fleet.specs.map((spec) => spec.path)).toEqual([
      '/sse',
      '/sse',
      '/sse?libraries=b,a',
      '/sse',
      '/sse',
      '/sse?libraries=c,a',
    ]);
    expect(fleet.specs.map((spec) => spec.token)).toEqual(['t1', 't2', 't3', 't1', 't2', 't3']);
    // u1 twice (every library), u2 twice (a), u3 asked for b then c, each with a (not theirs).
    expect(Object.fromEntries(fleet.recipients)).toEqual({ a: 4, b: 3, c: 3 });
  });

  it('plans whole rounds over the libraries, with as many deliveries as the fleet expects', () => {
    const fleet = reelayFleet(world, 6, '/sse', { filterEvery: 3 });
    const plan = eventPlan(fleet, 10);
    expect(plan).toMatchObject({ count: 18, expected: 60 });
    const broadcast = eventPlan(broadcastFleet(world, 6, '/sse'), 10);
    expect(broadcast).toMatchObject({ count: 9, expected: 54 });
    expect(meanRecipients(fleet)).toBeCloseTo(10 / 3);
  });

  it('gives the servers without permissions the same clients, and routed the same audiences', () => {
    const broadcast = broadcastFleet(world, 4, '/sse');
    expect(broadcast.specs).toEqual([
      { path: '/sse', token: 't1' },
      { path: '/sse', token: 't2' },
      { path: '/sse', token: 't3' },
      { path: '/sse', token: 't1' },
    ]);
    const fleet = reelayFleet(world, 3, '/sse', { filterEvery: 3 });
    const routed = routedFleet(fleet, '/sse');
    expect(routed.specs).toEqual([
      { path: `/sse?libraries=${fleet.receives[0].join(',')}`, token: 't1' },
      { path: `/sse?libraries=${fleet.receives[1].join(',')}`, token: 't2' },
      { path: '/sse?libraries=b', token: 't3' },
    ]);
    expect(routed.recipients).toEqual(fleet.recipients);
  });

  it('keeps to server admins when asked', () => {
    const fleet = reelayFleet(world, 4, '/sse', { onlyServerAdmins: true });
    expect(new Set(fleet.specs.map((spec) => spec.token))).toEqual(new Set(['t1']));
    expect(Object.fromEntries(fleet.recipients)).toEqual({ a: 4, b: 4, c: 4 });
  });
});

/** A process whose RSS follows `at(ms)`, on a clock that only the waits move. */
function fakeProcess(at: (ms: number) => number) {
  let now = 0;
  return {
    read: () => at(now),
    wait: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

describe('bench resting RSS', () => {
  const options = { minDrop: 0.03, stableMs: 1000, pollMs: 250, maxMs: 10_000 };

  it('waits for the fall, then for the RSS to hold, and reads it there', async () => {
    const { read, wait } = fakeProcess((ms) => (ms < 4000 ? 300 : ms < 4500 ? 200 : 180));
    expect(await restingRss(read, wait, options)).toEqual({ rss: 180, waitedMs: 5500 });
  });

  it('does not take a pause between two steps of the fall for rest', async () => {
    const { read, wait } = fakeProcess((ms) => (ms < 2000 ? 300 : ms < 2750 ? 250 : 150));
    expect(await restingRss(read, wait, options)).toEqual({ rss: 150, waitedMs: 3750 });
  });

  it('gives up after maxMs when nothing falls, with the RSS as it is then', async () => {
    const { read, wait } = fakeProcess((ms) => 300 + Math.floor(ms / 5000));
    expect(await restingRss(read, wait, options)).toEqual({ rss: 302, waitedMs: 10_000 });
  });
});

const memoryFigures = (rest: number, storm: number) => ({
  rssPerIdleConnectionAtRestBytes: rest,
  rssPerIdleConnectionBytes: storm,
});

/** The memory bar for these figures (Reelay, plain) at rest and after the storm. */
function memoryBar(atRest: [number, number], afterStorm: [number, number]) {
  const summaries: Summaries = {
    'burst-10000': {
      'reelay-sse': memoryFigures(atRest[0], afterStorm[0]),
      'plain-http': memoryFigures(atRest[1], afterStorm[1]),
    },
  };
  return judgeBars(summaries, [10_000], 1024).find((bar) => bar.label.includes('RSS per idle'));
}

describe('bench memory bar', () => {
  it('passes only when both readings are within 1.5x of plain node:http', () => {
    expect(memoryBar([6, 8], [11, 12])).toMatchObject({
      verdict: 'PASS',
      detail: '0.75x at rest, 0.92x after the storm',
    });
    expect(memoryBar([6, 8], [19, 11])?.verdict).toBe('MISS');
    expect(memoryBar([13, 8], [11, 11])?.verdict).toBe('MISS');
  });

  it('is not judged without the reading at rest', () => {
    const summaries: Summaries = {
      'burst-10000': {
        'reelay-sse': { rssPerIdleConnectionBytes: 11 },
        'plain-http': { rssPerIdleConnectionBytes: 12 },
      },
    };
    const bar = judgeBars(summaries, [10_000], 1024).find((b) => b.label.includes('RSS per idle'));
    expect(bar?.verdict).toBe('n/a');
  });
});

/** The trickle bars for these deliveries per CPU-second and CPU per 100k deliveries. */
function trickleBars(
  deliveriesPerCpuSecond: { reelay: number; nchan: number },
  cpuPer100k: { reelay: number; plain: number },
) {
  const summaries: Summaries = {
    'trickle-2000': {
      'reelay-sse': {
        deliveriesPerCpuSecond: deliveriesPerCpuSecond.reelay,
        cpuSecondsPer100kDeliveries: cpuPer100k.reelay,
      },
      'plain-http': { cpuSecondsPer100kDeliveries: cpuPer100k.plain },
      'nginx-nchan': { deliveriesPerCpuSecond: deliveriesPerCpuSecond.nchan },
    },
  };
  const bars = judgeBars(summaries, [1000], 1024);
  return {
    nchan: bars.find((bar) => bar.label.includes('nginx+nchan when events trickle, N=2,000')),
    plain: bars.find((bar) => bar.label.includes('publish requests included, N=2,000')),
  };
}

describe('bench trickle bars', () => {
  it('judge Reelay against nginx+nchan per CPU-second and against plain node:http per delivery', () => {
    expect(trickleBars({ reelay: 120, nchan: 100 }, { reelay: 0.9, plain: 1 })).toMatchObject({
      nchan: { verdict: 'PASS', detail: '1.20x' },
      plain: { verdict: 'PASS', detail: '0.90x' },
    });
    expect(trickleBars({ reelay: 69, nchan: 100 }, { reelay: 1.27, plain: 1 })).toMatchObject({
      nchan: { verdict: 'MISS', detail: '0.69x' },
      plain: { verdict: 'MISS', detail: '1.27x' },
    });
  });

  it('are not judged without a trickle', () => {
    const bars = judgeBars({}, [1000], 1024).filter((bar) => bar.label.includes('trickle, N='));
    expect(bars).toEqual([]);
  });
});
