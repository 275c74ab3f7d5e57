import { connect, type Socket } from 'node:net';
import { NumberFieldScanner, PatternCounter } from '../lib/sse-scan.js';
import type { LoadState } from './load-state.js';
import type { ClientMode, ConnectionSpec } from './protocol.js';
import type { ResumeTracker } from './resume-tracker.js';

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 16 * 1024;

export interface LoadClient {
  close(): void;
}

export interface SseClientOptions {
  /** The address to connect from (127.x.y.z); the kernel's choice when undefined. */
  localAddress?: string;
  /** Resume mode: follows the event ids and counts `resync` notices. */
  tracker?: ResumeTracker;
}

/**
 * One `GET /sse` stream over a raw socket. It counts event frames by their `\nid: ` line and
 * reads nothing else, except the `lagged` counts and, in latency mode, each frame's send time
 * (in resume mode, each frame's id).
 */
export function openSseClient(
  port: number,
  spec: ConnectionSpec,
  mode: ClientMode,
  state: LoadState,
  settled: (error?: string) => void,
  options: SseClientOptions = {},
): LoadClient {
  const socket: Socket = connect({
    port,
    host: '127.0.0.1',
    noDelay: true,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  });
  const frames = new PatternCounter('\nid: ');
  const lagged = new NumberFieldScanner('"skipped":');
  const sentAt = mode === 'latency' ? new NumberFieldScanner('"sentAt":') : undefined;
  const tracker = mode === 'resume' ? options.tracker : undefined;
  const ids = tracker === undefined ? undefined : new NumberFieldScanner('\nid: ');
  const resyncs = tracker === undefined ? undefined : new PatternCounter('event: resync');
  let head: Buffer | undefined = Buffer.alloc(0);
  let opened = false;
  let finished = false;

  const settle = (error?: string) => {
    if (finished) return;
    finished = true;
    settled(error);
  };

  const consume = (chunk: Buffer) => {
    const count = frames.count(chunk);
    lagged.scan(chunk, (skipped) => state.addSkipped(skipped));
    if (sentAt !== undefined) {
      const receivedAt = state.now();
      sentAt.scan(chunk, (value) => state.addSentAt(value, receivedAt));
    }
    if (tracker !== undefined) {
      tracker.resyncs += resyncs?.count(chunk) ?? 0;
      const now = performance.now();
      ids?.scan(chunk, (id) => tracker.see(id, now));
    }
    if (count > 0) state.addFrames(count);
  };

  socket.on('connect', () => {
    const lines = [
      `GET ${spec.path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Accept: text/event-stream',
    ];
    if (spec.token !== undefined) lines.push(`Authorization: Bearer ${spec.token}`);
    if (spec.lastEventId !== undefined) lines.push(`Last-Event-ID: ${spec.lastEventId}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });

  socket.on('data', (chunk: Buffer) => {
    if (head === undefined) return consume(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf(HEAD_END);
    if (end < 0) {
      if (head.length > MAX_HEAD_BYTES) socket.destroy(new Error('response head too long'));
      return;
    }
    const statusLine = head.toString('latin1', 0, head.indexOf('\r\n'));
    const rest = head.subarray(end + HEAD_END.length);
    head = undefined;
    if (!statusLine.startsWith('HTTP/1.1 200 ')) {
      socket.destroy();
      return settle(`${statusLine}: ${rest.toString('utf8', 0, Math.min(rest.length, 200))}`);
    }
    opened = true;
    state.open++;
    settle();
    if (rest.length > 0) consume(rest);
  });

  socket.on('error', (error) => settle(error.message));
  socket.on('close', () => {
    if (opened) {
      state.open--;
      state.lost++;
    }
    settle('closed before the response head');
  });

  return {
    close() {
      if (opened) {
        opened = false;
        state.open--;
      }
      socket.destroy();
    },
  };
}
