import * as fc from 'fast-check';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Principal } from '../../access/principal.js';
import type { QueueLimits } from '../bounded-queue.js';
import { SseConnection, sseEncoder } from './sse-connection.js';
import { type WireForms, wireForms } from '../http-chunk.js';
import { laggedNotice, PING, retryFrame } from './sse-frames.js';
import { StreamSink } from './stream-sink.js';

/** Stands in for the socket or the response of a stream: records writes, reports backpressure. */
class FakeSocket {
  readonly writes: Buffer[] = [];
  accepts = true;
  destroyed = false;
  writableEnded = false;

  corked = 0;
  ended = false;

  end(last?: Buffer): void {
    if (last) this.writes.push(last);
    this.ended = true;
    this.writableEnded = true;
  }

  destroy(): void {
    this.destroyed = true;
  }

  writesWhileCorked = 0;

  write(chunk: Buffer): boolean {
    this.writes.push(chunk);
    if (this.corked > 0) this.writesWhileCorked++;
    return this.accepts;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    this.corked--;
  }

  get text(): string {
    return Buffer.concat(this.writes).toString();
  }
}

const frame = (id: number, size = 0): WireForms =>
  wireForms(`event: tags\nid: ${id}\ndata: ${'x'.repeat(size)}\n\n`);

/** The bytes of these frames, one after the other, as an unchunked body carries them. */
const bytesOf = (...frames: WireForms[]) =>
  Buffer.concat(frames.map((forms) => forms.frame)).toString();

function connectionWith(limits: QueueLimits, now = 0, chunked = false) {
  const socket = new FakeSocket();
  const sink = chunked
    ? StreamSink.ofSocket(socket as unknown as Socket)
    : StreamSink.ofResponse(socket as unknown as ServerResponse);
  const connection = new SseConnection(
    sink,
    sseEncoder(retryFrame(3000)),
    {} as Principal,
    null,
    Number.MAX_SAFE_INTEGER,
    undefined,
    limits,
    now,
  );
  return { socket, connection };
}

/** Problems in a delivered stream: frames 1..count in order, each gap announced exactly once. */
function deliveryProblems(text: string, count: number): string[] {
  const problems: string[] = [];
  let expectedNext = 1;
  let announced = 0;
  for (const block of text.split('\n\n').filter((part) => part !== '')) {
    const lagged = /^event: lagged\ndata: \{"Lagged":\{"skipped":(\d+)\}\}$/.exec(block);
    if (lagged) {
      if (announced > 0 || Number(lagged[1]) === 0) problems.push(`bad lagged: ${block}`);
      announced = Number(lagged[1]);
      continue;
    }
    const id = Number(/^event: tags\nid: (\d+)\n/.exec(block)?.[1]);
    if (id !== expectedNext + announced) problems.push(`got ${id} after ${expectedNext - 1}`);
    expectedNext = id + 1;
    announced = 0;
  }
  if (expectedNext !== count + 1) problems.push(`ended at ${expectedNext - 1} of ${count}`);
  return problems;
}

const roomy = { maxEvents: 100, maxBytes: 1 << 20 };

describe('SseConnection', () => {
  it('asks for one flush, then writes everything queued in one corked batch, in order', () => {
    const { socket, connection } = connectionWith(roomy);
    expect(connection.enqueue(frame(1))).toBe(true);
    connection.scheduled = true;
    expect(connection.enqueue(frame(2))).toBe(false);
    expect(connection.enqueue(frame(3))).toBe(false);
    expect(connection.pendingEvents).toBe(3);
    expect(connection.pendingBytes).toBe(frame(1).frame.length * 3);

    connection.flush(50);
    expect(connection.scheduled).toBe(false);
    expect(socket.writesWhileCorked).toBe(3);
    expect(socket.corked).toBe(0);
    expect(socket.text).toBe(bytesOf(frame(1), frame(2), frame(3)));
    expect(connection.pendingEvents).toBe(0);
    expect(connection.pendingBytes).toBe(0);
    expect(connection.lastWriteAt).toBe(50);
  });

  it('writes a lone frame as it is, without copying it', () => {
    const { socket, connection } = connectionWith(roomy);
    const only = frame(1);
    connection.enqueue(only);
    connection.flush(1);
    expect(socket.writes[0]).toBe(only.frame);
  });

  it('writes nothing when nothing waits or the socket is gone', () => {
    const { socket, connection } = connectionWith(roomy);
    connection.flush(1);
    connection.enqueue(frame(1));
    socket.destroyed = true;
    connection.flush(2);
    expect(socket.writes).toHaveLength(0);
  });

  it('writes neither frames nor pings once the stream was ended, even before it closed', () => {
    const { socket, connection } = connectionWith(roomy);
    socket.writableEnded = true;
    connection.enqueue(frame(1));
    connection.flush(1);
    connection.keepAlive(2);
    expect(socket.writes).toHaveLength(0);
  });

  it('writes a replay at once, outside the queue bound, frame by frame in one corked batch', () => {
    const { socket, connection } = connectionWith({ maxEvents: 2, maxBytes: 1024 });
    const replay = Array.from({ length: 50 }, (_, index) => frame(index + 1, 30));
    socket.accepts = false;
    connection.writeAll(replay, 7);
    expect(socket.writes).toEqual(replay.map((forms) => forms.frame));
    expect(socket.writes[0]).toBe(replay[0].frame);
    expect(socket.writesWhileCorked).toBe(50);
    expect(socket.corked).toBe(0);
    expect(connection.lastWriteAt).toBe(7);
    // The socket asked to wait: live frames queue up until it drains.
    expect(connection.enqueue(frame(51))).toBe(false);
    connection.flush(8);
    expect(socket.writes).toHaveLength(50);
    expect(connection.drained()).toBe(true);
  });

  it('writes no replay to an ended stream, and nothing for an empty one', () => {
    const { socket, connection } = connectionWith(roomy);
    connection.writeAll([], 1);
    socket.writableEnded = true;
    connection.writeAll([frame(1)], 2);
    expect(socket.writes).toHaveLength(0);
  });

  it('keeps at most maxEvents, dropping the oldest, and announces the count before the rest', () => {
    const { socket, connection } = connectionWith({ maxEvents: 3, maxBytes: 1 << 20 });
    for (let id = 1; id <= 7; id++) connection.enqueue(frame(id));
    expect(connection.pendingEvents).toBe(3);
    expect(connection.pendingBytes).toBe(frame(5).frame.length * 3);
    connection.flush(1);
    expect(socket.text).toBe(bytesOf(laggedNotice(4), frame(5), frame(6), frame(7)));
  });

  it('keeps at most maxBytes, but always the newest frame even when it alone is larger', () => {
    const { socket, connection } = connectionWith({ maxEvents: 100, maxBytes: 100 });
    for (let id = 1; id <= 5; id++) connection.enqueue(frame(id, 20));
    expect(connection.pendingBytes).toBeLessThanOrEqual(100);
    const kept = connection.pendingEvents;
    expect(kept).toBe(Math.floor(100 / frame(1, 20).frame.length));
    connection.enqueue(frame(6, 500));
    expect(connection.pendingEvents).toBe(1);
    connection.flush(1);
    expect(socket.text).toBe(bytesOf(laggedNotice(5), frame(6, 500)));
  });

  it('stops writing while the socket is backed up, and resumes on drain with the lag count', () => {
    const { socket, connection } = connectionWith({ maxEvents: 2, maxBytes: 1 << 20 });
    socket.accepts = false;
    connection.enqueue(frame(1));
    connection.flush(1);
    expect(socket.writes).toHaveLength(1);

    socket.accepts = true;
    for (let id = 2; id <= 6; id++) expect(connection.enqueue(frame(id))).toBe(false);
    connection.flush(2);
    connection.keepAlive(3);
    expect(socket.writes).toHaveLength(1);
    expect(connection.pendingEvents).toBe(2);

    expect(connection.drained()).toBe(true);
    connection.flush(4);
    expect(socket.text).toBe(bytesOf(frame(1), laggedNotice(3), frame(5), frame(6)));
    expect(connection.drained()).toBe(false);
    connection.enqueue(frame(7));
    connection.flush(5);
    expect(socket.writes.at(-1)?.toString()).toBe(bytesOf(frame(7)));
  });

  it('does not ask for a flush on drain while one is already scheduled', () => {
    const { socket, connection } = connectionWith(roomy);
    socket.accepts = false;
    connection.enqueue(frame(1));
    connection.flush(1);
    connection.enqueue(frame(2));
    connection.scheduled = true;
    expect(connection.drained()).toBe(false);
  });

  it('ends a reading client gracefully, and cuts off one whose socket is backed up', () => {
    const reading = connectionWith({ maxEvents: 8, maxBytes: 1 << 20 });
    reading.connection.close();
    expect(reading.socket).toMatchObject({ ended: true, destroyed: false });

    const stalled = connectionWith({ maxEvents: 8, maxBytes: 1 << 20 });
    stalled.socket.accepts = false;
    stalled.connection.enqueue(frame(1));
    stalled.connection.flush(0);
    stalled.connection.close();
    expect(stalled.socket).toMatchObject({ ended: false, destroyed: true });
  });

  it('sends a batch to a chunked body as one chunk of all its frames, each frame uncopied', () => {
    const { socket, connection } = connectionWith(roomy, 0, true);
    const frames = [frame(1), frame(2, 300), frame(3)];
    for (const forms of frames) connection.enqueue(forms);
    connection.flush(0);
    const body = bytesOf(...frames);
    expect(socket.text).toBe(`${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n`);
    expect(socket.writes.slice(1, 4)).toEqual(frames.map((forms) => forms.frame));
    expect(socket.writes[2]).toBe(frames[1].frame);
    expect(socket.corked).toBe(0);
  });

  it('ends a chunked body with its last chunk, once, and an unchunked one by closing alone', () => {
    const chunked = connectionWith(roomy, 0, true);
    chunked.connection.enqueue(frame(1));
    chunked.connection.flush(0);
    chunked.connection.close();
    chunked.connection.close();
    expect(chunked.socket.text).toBe(frame(1).chunk.toString() + '0\r\n\r\n');
    expect(chunked.socket.ended).toBe(true);

    const unchunked = connectionWith(roomy);
    unchunked.connection.close();
    expect(unchunked.socket.writes).toHaveLength(0);
    expect(unchunked.socket.ended).toBe(true);
  });

  it('pings only when idle: nothing queued and nothing waiting on the socket', () => {
    const { socket, connection } = connectionWith(roomy, 0);
    connection.keepAlive(10);
    expect(socket.writes).toEqual([PING.frame]);
    expect(connection.lastWriteAt).toBe(10);

    connection.enqueue(frame(1));
    connection.keepAlive(20);
    expect(socket.writes).toHaveLength(1);
  });

  it('holds a bounded amount for a client that never reads, however many events pass', () => {
    const { socket, connection } = connectionWith({ maxEvents: 4, maxBytes: 1 << 20 });
    socket.accepts = false;
    connection.enqueue(frame(0));
    connection.flush(0);
    for (let id = 1; id <= 50_000; id++) connection.enqueue(frame(id));
    expect(connection.pendingEvents).toBe(4);
    // The slots of dropped frames count too: a stalled client must not grow them forever.
    expect((Reflect.get(connection, 'queue') as unknown[]).length).toBeLessThan(100);
    expect(connection.drained()).toBe(true);
    connection.flush(1);
    expect(socket.text).toBe(
      bytesOf(
        frame(0),
        laggedNotice(49_996),
        ...[49_997, 49_998, 49_999, 50_000].map((id) => frame(id)),
      ),
    );
  });

  it('whatever the socket does, delivers frames in order, announces every gap exactly, within bounds', () => {
    type Step =
      { kind: 'enqueue'; size: number } | { kind: 'flush'; accepts: boolean } | { kind: 'drain' };
    const step = fc.oneof(
      fc.record({ kind: fc.constant('enqueue' as const), size: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('flush' as const), accepts: fc.boolean() }),
      fc.record({ kind: fc.constant('drain' as const) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(step, { maxLength: 80 }),
        (maxEvents, maxBytes, steps: Step[]) => {
          const { socket, connection } = connectionWith({ maxEvents, maxBytes });
          const problems: string[] = [];
          let enqueued = 0;
          let waiting = false;
          for (const s of steps) {
            if (s.kind === 'enqueue') {
              const needsFlush = connection.enqueue(frame(++enqueued, s.size));
              const { pendingEvents, pendingBytes } = connection;
              const slots = (Reflect.get(connection, 'queue') as unknown[]).length;
              if (needsFlush === waiting) problems.push('asked for a flush while waiting');
              if (pendingEvents > maxEvents) problems.push(`${pendingEvents} events queued`);
              if (pendingEvents > 1 && pendingBytes > maxBytes) problems.push('over maxBytes');
              if (slots > 2 * maxEvents + 1) problems.push(`${slots} slots held`);
            } else if (s.kind === 'flush') {
              socket.accepts = s.accepts;
              const before = socket.writes.length;
              const shouldWrite = connection.pendingEvents > 0 && !waiting;
              connection.flush(0);
              const wrote = socket.writes.length > before;
              if (wrote !== shouldWrite) problems.push(`wrote ${wrote} but should ${shouldWrite}`);
              if (wrote) waiting = !s.accepts;
            } else {
              connection.drained();
              waiting = false;
            }
          }
          socket.accepts = true;
          connection.drained();
          connection.flush(0);
          problems.push(...deliveryProblems(socket.text, enqueued));
          expect(problems).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
