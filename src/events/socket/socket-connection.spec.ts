import * as fc from 'fast-check';
import { EventEmitter } from 'node:events';
import type { Socket as NetSocket } from 'node:net';
import type { Socket } from 'socket.io';
import type { Principal } from '../../access/principal.js';
import type { QueueLimits } from '../bounded-queue.js';
import { SocketConnection } from './socket-connection.js';
import { eventPacket, type SocketPacket, socketEncoder } from './socket-packets.js';

/**
 * Stands in for engine.io's connection with its websocket transport: `write` buffers, and the
 * buffer goes to the transport (emitting `drain`) whenever the transport is free; the transport
 * is busy from a send until the test says the socket took it.
 */
class StandInEngine extends EventEmitter {
  readonly sent: string[] = [];
  buffer: string[] = [];
  readyState = 'open';
  private transportBusy = false;

  write(text: string): void {
    this.buffer.push(text);
    this.flush();
  }

  /** engine.io closes its transport once what it holds is sent, without Socket.IO's disconnect. */
  close(): void {
    this.readyState = 'closing';
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

/** Stands in for a websocket's TCP socket: records writes and batches, reports backpressure. */
class StandInWire extends EventEmitter {
  readonly writes: Buffer[] = [];
  readonly batches: number[] = [];
  writable = true;
  writableNeedDrain = false;
  private corked = 0;
  private batch = 0;

  write(frame: Buffer): boolean {
    this.writes.push(frame);
    if (this.corked > 0) this.batch++;
    else this.batches.push(1);
    return !this.writableNeedDrain;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    this.corked--;
    this.batches.push(this.batch);
    this.batch = 0;
  }

  /** The client read what waited. */
  drained(): void {
    this.writableNeedDrain = false;
    this.emit('drain');
  }
}

/**
 * A connection as the supervisor drives it, with its flushes run at once rather than at the end
 * of the event-loop turn. `wire` is where it may write directly; none sends through engine.io.
 */
function connectionWith(limits: QueueLimits, wire: { current?: StandInWire } = {}) {
  const engine = new StandInEngine();
  const socket = {
    conn: engine,
    disconnected: false,
    disconnect: () => (socket.disconnected = true),
  };
  const connection = new SocketConnection(
    socket as unknown as Socket,
    socketEncoder,
    {} as Principal,
    null,
    Number.MAX_SAFE_INTEGER,
    undefined,
    limits,
    0,
    () => wire.current as unknown as NetSocket | undefined,
    (drained) => {
      if (drained.drained()) drained.flush(0);
    },
  );
  const deliver = (sent: SocketPacket) => {
    if (connection.enqueue(sent)) connection.flush(0);
  };
  return { engine, socket, connection, deliver };
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
    const { engine, connection, deliver } = connectionWith({ maxEvents: 4, maxBytes: 1 << 20 });
    deliver(packet(1));
    expect(engine.sent).toHaveLength(1);
    engine.transportDone();
    deliver(packet(2));
    expect(engine.sent).toHaveLength(2);
    expect(connection.pendingEvents).toBe(0);
  });

  it('keeps at most one batch in engine.io and the rest in its bounded queue', () => {
    const { engine, connection, deliver } = connectionWith({ maxEvents: 4, maxBytes: 1 << 20 });
    for (let id = 1; id <= 10; id++) deliver(packet(id));
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
    const { engine, connection, deliver } = connectionWith({ maxEvents: 100, maxBytes: 3000 });
    deliver(packet(1));
    deliver(packet(2));
    for (let id = 3; id <= 8; id++) deliver(packet(id, 1000));
    expect(connection.pendingBytes).toBeLessThanOrEqual(3000);
    deliver(packet(9, 5000));
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
          const { engine, connection, deliver } = connectionWith({ maxEvents, maxBytes });
          let id = 0;
          for (const action of steps) {
            if ('deliver' in action) deliver(packet(++id, action.deliver));
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

  it("writes a websocket's batch straight to its TCP socket, in one corked write", () => {
    const wire = new StandInWire();
    const { engine, connection } = connectionWith(
      { maxEvents: 8, maxBytes: 1 << 20 },
      {
        current: wire,
      },
    );
    for (let id = 1; id <= 3; id++) connection.enqueue(packet(id));
    connection.flush(0);
    expect(engine.sent).toEqual([]);
    expect(wire.batches).toEqual([3]);
    expect(wire.writes.map((frame) => frame.subarray(2).toString())).toEqual(
      [1, 2, 3].map((id) => `4${packet(id).text}`),
    );
  });

  it('waits for the TCP socket to drain, then sends what queued meanwhile, announcing drops', () => {
    const wire = new StandInWire();
    const { connection, deliver } = connectionWith(
      { maxEvents: 2, maxBytes: 1 << 20 },
      {
        current: wire,
      },
    );
    wire.writableNeedDrain = true;
    deliver(packet(1));
    for (let id = 2; id <= 6; id++) deliver(packet(id));
    expect(wire.writes).toHaveLength(1);
    expect(connection.pendingEvents).toBe(2);
    wire.drained();
    const texts = wire.writes.map((frame) => frame.subarray(2).toString().slice(1));
    expect(deliveryProblems(texts, 6)).toEqual([]);
    expect(texts[1]).toBe('2["lagged",{"Lagged":{"skipped":3}}]');
  });

  it('sent away, writes what waits and closes its transport without a disconnect, then takes nothing', () => {
    const { engine, socket, connection, deliver } = connectionWith({
      maxEvents: 8,
      maxBytes: 1 << 20,
    });
    deliver(packet(1));
    connection.enqueue(packet(2));
    engine.transportDone();
    connection.closeToReconnect(undefined, 0);
    expect(engine.sent).toEqual([packet(1).text, packet(2).text]);
    expect(engine.readyState).toBe('closing');
    // A disconnect would tell socket.io-client not to reconnect.
    expect(socket.disconnected).toBe(false);
    expect(connection.ended).toBe(true);
    deliver(packet(3));
    engine.transportDone();
    expect(engine.sent).toEqual([packet(1).text, packet(2).text]);
  });

  it('sent away while engine.io holds its packets (a polling client between requests), still only closes its transport', () => {
    const { engine, socket, connection, deliver } = connectionWith({
      maxEvents: 8,
      maxBytes: 1 << 20,
    });
    deliver(packet(1));
    deliver(packet(2));
    deliver(packet(3));
    expect(engine.buffer).toEqual([packet(2).text]);
    connection.closeToReconnect(undefined, 0);
    expect(engine.buffer).toEqual([packet(2).text, packet(3).text]);
    expect(engine.readyState).toBe('closing');
    expect(socket.disconnected).toBe(false);
  });

  it('ends with a disconnect when it is closed (an expired token, a removed user)', () => {
    const { engine, socket, connection } = connectionWith({ maxEvents: 8, maxBytes: 1 << 20 });
    connection.close();
    expect(socket.disconnected).toBe(true);
    expect(engine.readyState).toBe('open');
  });

  it('goes through engine.io whenever no TCP socket may be written to directly', () => {
    const wire: { current?: StandInWire } = {};
    const { engine, deliver } = connectionWith({ maxEvents: 8, maxBytes: 1 << 20 }, wire);
    deliver(packet(1));
    engine.transportDone();
    wire.current = new StandInWire();
    deliver(packet(2));
    wire.current = undefined;
    deliver(packet(3));
    expect(engine.sent).toEqual([packet(1).text, packet(3).text]);
    expect(wire.current).toBeUndefined();
  });
});
