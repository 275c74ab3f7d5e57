import { request } from 'node:http';
import { summariseLatencies } from '../lib/stats.js';
import { LoadState } from './load-state.js';
import type {
  ConnectionSpec,
  GeneratorCommand,
  GeneratorReply,
  GeneratorRequest,
  HttpCall,
  LatencyResult,
  OpenResult,
  WaitResult,
} from './protocol.js';
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

function open(command: Extract<GeneratorCommand, { type: 'open' }>): Promise<OpenResult> {
  const { specs, transport, port, mode, concurrency, timeoutMs } = command;
  const start = performance.now();
  const openClient = transport === 'sse' ? openSseClient : openSocketIoClient;
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
    const launch = (spec: ConnectionSpec) => {
      clients.push(
        openClient(port, spec, mode, state, (error) => {
          settledCount++;
          if (error !== undefined) {
            failed++;
            if (errors.length < 5) errors.push(error);
          }
          if (next < specs.length) launch(specs[next++]);
          else if (settledCount === specs.length) finish();
        }),
      );
    };
    if (specs.length === 0) return finish();
    while (next < Math.min(concurrency, specs.length)) launch(specs[next++]);
  });
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
  const start = performance.now();
  const arrived = waitFor(command.expected, command.timeoutMs, start);
  await post(command.publish);
  const publishMs = performance.now() - start;
  const result = await arrived;
  // Anything beyond what was expected went to a connection that should not have had it.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return { ...result, publishMs, received: state.received, skipped: state.skipped };
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
