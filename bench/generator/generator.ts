import { request } from 'node:http';
import { machineTicks } from '../lib/proc.js';
import { percentileOfSorted, summariseLatencies } from '../lib/stats.js';
import { LoadState } from './load-state.js';
import type {
  ConnectionSpec,
  GeneratorCommand,
  GeneratorReply,
  GeneratorRequest,
  HttpCall,
  LatencyResult,
  OpenResult,
  StormResult,
  TrackedResult,
  WaitResult,
} from './protocol.js';
import { ResumeTracker } from './resume-tracker.js';
import { type LoadClient, openSseClient } from './sse-client.js';
import { openSocketIoClient } from './socketio-client.js';

/**
 * The load generator, a child process driven by the orchestrator over IPC. It holds the client
 * connections, counts what they receive, and times bursts from its own publish request to the
 * last expected frame, so that both ends of a measurement are on one clock.
 */
const state = new LoadState();
const SETTLE_MS = 300;
let clients: LoadClient[] = [];

/** An `open` command, and what the generator adds to it itself. */
interface OpenPlan extends Omit<Extract<GeneratorCommand, { type: 'open' }>, 'type'> {
  /** Resume mode: the tracker of connection i. */
  trackerOf?: (index: number) => ResumeTracker;
  /** Called when connection i has its response head. */
  onOpened?: (index: number) => void;
}

/** The `resume` connections, with what each has seen, in the order of `clients`. */
let tracked: { spec: ConnectionSpec; tracker: ResumeTracker }[] = [];

/** Opens the connections, at most `concurrency` waiting for their response head at a time. */
function openAll(plan: OpenPlan): Promise<OpenResult> {
  const { specs, transport, port, mode, concurrency, timeoutMs, localAddresses } = plan;
  const start = performance.now();
  const errors: string[] = [];
  let next = 0;
  let settledCount = 0;
  let failed = 0;
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      resolve({
        opened: settledCount - failed,
        failed: failed + (specs.length - settledCount),
        errors,
        elapsedMs: performance.now() - start,
      });
    };
    const timer = setTimeout(() => {
      next = specs.length;
      errors.push(`timed out after ${timeoutMs} ms with ${settledCount} settled`);
      finish();
    }, timeoutMs);
    const launch = (index: number) => {
      const spec = specs[index];
      const settled = (error?: string) => {
        settledCount++;
        if (error !== undefined) {
          failed++;
          if (errors.length < 5) errors.push(error);
        } else {
          plan.onOpened?.(index);
        }
        if (next < specs.length) launch(next++);
        else if (settledCount === specs.length) finish();
      };
      if (transport === 'sse') {
        const tracker = plan.trackerOf?.(index);
        if (tracker !== undefined) tracked.push({ spec, tracker });
        const localAddress = localAddresses?.[index % localAddresses.length];
        clients.push(openSseClient(port, spec, mode, state, settled, { localAddress, tracker }));
      } else {
        clients.push(openSocketIoClient(port, spec, mode, state, settled));
      }
    };
    if (specs.length === 0) return finish();
    while (next < Math.min(concurrency, specs.length)) launch(next++);
  });
}

function open(command: Extract<GeneratorCommand, { type: 'open' }>): Promise<OpenResult> {
  return openAll({
    ...command,
    trackerOf: command.mode === 'resume' ? () => new ResumeTracker() : undefined,
  });
}

function trackedState(): TrackedResult {
  const result: TrackedResult = {
    clients: tracked.length,
    withId: 0,
    resyncs: 0,
    lost: 0,
    repeated: 0,
  };
  for (const { tracker } of tracked) {
    if (tracker.lastId > 0) result.withId++;
    result.resyncs += tracker.resyncs;
    result.lost += tracker.lost;
    result.repeated += tracker.repeated;
  }
  return result;
}

/**
 * Drops every `resume` connection at once, then opens each again with the last id it saw as
 * `Last-Event-ID`, and times it: to the last response head, and to the last connection's first
 * event (its resume). The first event must be the one right after Last-Event-ID.
 */
async function storm(command: Extract<GeneratorCommand, { type: 'storm' }>): Promise<StormResult> {
  const before = tracked;
  const dropping = clients;
  const start = performance.now();
  for (const client of dropping) client.close();
  clients = [];
  tracked = [];
  const lastIds = before.map(({ tracker }) => tracker.lastId);
  const specs: ConnectionSpec[] = before.map(({ spec }, index) => ({
    path: spec.path,
    token: spec.token,
    lastEventId: lastIds[index] > 0 ? lastIds[index] : undefined,
  }));
  const openedAt = new Float64Array(specs.length).fill(Number.NaN);
  const resumedAt = new Float64Array(specs.length).fill(Number.NaN);
  let resumed = 0;
  let firstSkippedAhead = 0;
  let firstRepeated = 0;
  let wake: (() => void) | undefined;
  const opened = await openAll({
    transport: 'sse',
    port: command.port,
    specs,
    mode: 'resume',
    concurrency: command.concurrency,
    timeoutMs: command.timeoutMs,
    localAddresses: command.localAddresses,
    onOpened: (index) => {
      openedAt[index] = performance.now() - start;
    },
    trackerOf: (index) =>
      new ResumeTracker(lastIds[index], (tracker) => {
        resumedAt[index] = (tracker.firstAt ?? performance.now()) - start;
        const id = tracker.firstId ?? 0;
        if (lastIds[index] > 0 && id > lastIds[index] + 1) firstSkippedAhead++;
        if (id <= lastIds[index]) firstRepeated++;
        resumed++;
        wake?.();
      }),
  });
  const deadline = start + command.timeoutMs;
  while (resumed < opened.opened && performance.now() < deadline) {
    // oxlint-disable-next-line no-await-in-loop -- waits for the next resume, or the deadline
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - performance.now()));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }
  const times = resumedAt.filter(Number.isFinite).sort();
  let lastHead = Number.NaN;
  for (const at of openedAt) {
    if (Number.isFinite(at) && !(lastHead >= at)) lastHead = at;
  }
  return {
    clients: specs.length,
    reconnected: opened.opened,
    failed: opened.failed,
    errors: opened.errors,
    resumed,
    allReconnectedMs: lastHead,
    allResumedMs: times.length > 0 ? times[times.length - 1] : Number.NaN,
    resumeP50Ms: percentileOfSorted(times, 50),
    resumeP99Ms: percentileOfSorted(times, 99),
    firstSkippedAhead,
    firstRepeated,
    complete: resumed === specs.length,
  };
}

function post(call: HttpCall): Promise<void> {
  const body = JSON.stringify(call.body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: call.port,
        path: call.path,
        method: 'POST',
        headers: {
          ...call.headers,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if (response.statusCode === 200) resolve();
          else
            reject(
              new Error(`publish: ${response.statusCode} ${Buffer.concat(chunks).toString()}`),
            );
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function waitFor(expected: number, timeoutMs: number, start: number): Promise<WaitResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      state.cancelWait();
      resolve({ ...state.counts(), complete: false, elapsedMs: performance.now() - start });
    }, timeoutMs);
    state.waitFor(expected, () => {
      clearTimeout(timer);
      resolve({ ...state.counts(), complete: true, elapsedMs: performance.now() - start });
    });
  });
}

async function burst(command: Extract<GeneratorCommand, { type: 'burst' }>): Promise<WaitResult> {
  state.reset(false);
  const ticks = machineTicks();
  const start = performance.now();
  const arrived = waitFor(command.expected, command.timeoutMs, start);
  await post(command.publish);
  const publishMs = performance.now() - start;
  const result = await arrived;
  const ticksAfter = machineTicks();
  const machineBusy = (ticksAfter.busy - ticks.busy) / Math.max(1, ticksAfter.total - ticks.total);
  // Anything beyond what was expected went to a connection that should not have had it.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return { ...result, publishMs, machineBusy, received: state.received, skipped: state.skipped };
}

function latency(): LatencyResult {
  const windowMs = performance.now() - state.recordingSince;
  return {
    ...state.counts(),
    ...summariseLatencies(state.latencies.snapshot()),
    windowMs,
  };
}

async function closeAll(): Promise<{ closed: number }> {
  const closing = clients;
  clients = [];
  tracked = [];
  for (const client of closing) client.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { closed: closing.length };
}

async function handle(command: GeneratorCommand): Promise<unknown> {
  switch (command.type) {
    case 'open':
      return open(command);
    case 'reset':
      state.reset(command.recordLatency);
      return state.counts();
    case 'burst':
      return burst(command);
    case 'await':
      return waitFor(command.expected, command.timeoutMs, performance.now());
    case 'latency':
      return latency();
    case 'tracked':
      return trackedState();
    case 'storm':
      return storm(command);
    case 'close':
      return closeAll();
  }
}

function reply(message: GeneratorReply): void {
  process.send?.(message);
}

process.on('message', (message: GeneratorRequest) => {
  handle(message.command).then(
    (result) => reply({ id: message.id, ok: true, result }),
    (error: unknown) =>
      reply({
        id: message.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
});

process.on('disconnect', () => process.exit(0));
