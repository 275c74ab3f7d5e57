import * as fc from 'fast-check';
import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import type { Principal } from '../../access/principal.js';
import type { QueueLimits } from '../bounded-queue.js';
import { SocketConnection } from './socket-connection.js';
import { eventPacket } from './socket-packets.js';

/**
 * Stands in for engine.io's connection with its websocket transport: `write` buffers, and the
 * buffer goes to the transport (emitting `drain`) whenever the transport is free; the transport
 * is busy from a send until the test says the socket took it.
 */
class StandInEngine extends EventEmitter {
  readonly sent: string[] = [];
  buffer: string[] = [];
  private transportBusy = false;

  write(text: string): void {
    this.buffer.push(text);
    this.flush();
  }

  /** The socket took the last batch: the transport is free again. */
  transportDone(): void {
    this.transportBusy = false;
    this.flush();
  }

  private flush(): void {
    if (this.transportBusy || this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.transportBusy = true;
    this.sent.push(...batch);
    this.emit('drain');
  }
}

function connectionWith(limits: QueueLimits) {
  const engine = new StandInEngine();
  const connection = new SocketConnection(
    { conn: engine } as unknown as Socket,
    {} as Principal,
    null,
    Number.MAX_SAFE_INTEGER,
    limits,
  );
  engine.on('drain', connection.onEngineDrain);
  return { engine, connection };
}

const packet = (id: number, size = 0) => eventPacket('tags', id, JSON.stringify('x'.repeat(size)));

/** Problems in what reached the transport: ids 1..count in order, each gap announced once. */
function deliveryProblems(sent: string[], count: number): string[] {
  const problems: string[] = [];
  let expected = 1;
  let announced = 0;
  for (const text of sent) {
    const [name, data, id] = JSON.parse(text.slice(1)) as [string, unknown, number?];
    if (name === 'lagged') {
      const { skipped } = (data as { Lagged: { skipped: number } }).Lagged;
      if (announced > 0 || skipped <= 0) problems.push(`bad lagged ${text}`);
      announced = skipped;
      continue;
    }
    if (id !== expected + announced)
      problems.push(`id ${id} after ${expected - 1}, announced ${announced}`);
    expected = (id ?? 0) + 1;
    announced = 0;
  }
  if (expected !== count + 1) problems.push(`ended at ${expected - 1} of ${count}`);
  return problems;
}

describe('SocketConnection', () => {
  it('writes at once while engine.io keeps up', () => {
    const { engine, connection } = connectionWith({ maxEvents: 4, maxBytes: 1 << 20 });
    connection.deliver(packet(1));
    expect(engine.sent).toHaveLength(1);
    engine.transportDone();
    connection.deliver(packet(2));
    expect(engine.sent).toHaveLength(2);
    expect(connection.pendingEvents).toBe(0);
  });

  it('keeps at most one batch in engine.io and the rest in its bounded queue', () => {
    const { engine, connection } = connectionWith({ maxEvents: 4, maxBytes: 1 << 20 });
    for (let id = 1; id <= 10; id++) connection.deliver(packet(id));
    // 1 went to the transport, 2 waits in engine.io, 3..10 queued here with the oldest dropped.
    expect(engine.sent).toHaveLength(1);
    expect(engine.buffer).toHaveLength(1);
    expect(connection.pendingEvents).toBe(4);
    engine.transportDone();
    expect(engine.buffer).toHaveLength(5);
    engine.transportDone();
    engine.transportDone();
    expect(deliveryProblems(engine.sent, 10)).toEqual([]);
    expect(engine.sent[2]).toBe('2["lagged",{"Lagged":{"skipped":4}}]');
  });

  it('bounds the queue in bytes, keeping at least the newest packet', () => {
    const { engine, connection } = connectionWith({ maxEvents: 100, maxBytes: 3000 });
    connection.deliver(packet(1));
    connection.deliver(packet(2));
    for (let id = 3; id <= 8; id++) connection.deliver(packet(id, 1000));
    expect(connection.pendingBytes).toBeLessThanOrEqual(3000);
    connection.deliver(packet(9, 5000));
    expect(connection.pendingEvents).toBe(1);
    engine.transportDone();
    engine.transportDone();
    engine.transportDone();
    expect(deliveryProblems(engine.sent, 9)).toEqual([]);
  });

  it('delivers in order, announces every skip and never holds more than its bounds', () => {
    const step = fc.oneof(
      fc.record({ deliver: fc.integer({ min: 0, max: 600 }) }),
      fc.constant({ transportDone: true as const }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1024, max: 4096 }),
        fc.array(step, { maxLength: 200 }),
        (maxEvents, maxBytes, steps) => {
          const { engine, connection } = connectionWith({ maxEvents, maxBytes });
          let id = 0;
          for (const action of steps) {
            if ('deliver' in action) connection.deliver(packet(++id, action.deliver));
            else engine.transportDone();
            expect(connection.pendingEvents).toBeLessThanOrEqual(maxEvents);
            // One packet may exceed the byte bound alone: the newest is always kept.
            expect(connection.pendingEvents <= 1 || connection.pendingBytes <= maxBytes).toBe(true);
            // What engine.io holds is at most one queue's worth and its lagged notice.
            expect(engine.buffer.length).toBeLessThanOrEqual(maxEvents + 1);
          }
          for (let round = 0; round < 3; round++) engine.transportDone();
          expect(connection.pendingEvents).toBe(0);
          expect(engine.buffer).toEqual([]);
          expect(deliveryProblems(engine.sent, id)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
