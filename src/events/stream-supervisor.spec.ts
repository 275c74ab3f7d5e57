import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { EMPTY, type Observable, Subject } from 'rxjs';
import { eventsOptionsOf, loadAppConfig } from '../config/app-config.js';
import { StreamCounters } from './event-counters.js';
import { type StreamLibraryRole, StreamAccess, type StreamPrincipal } from './events.ports.js';
import type { Socket as IoSocket } from 'socket.io';
import type { StreamSettings } from './events.options.js';
import { publishingHub } from './log/volatile-event-store.js';
import { SocketConnection } from './socket/socket-connection.js';
import { type SocketPacket, socketEncoder } from './socket/socket-packets.js';
import { SseConnection, sseEncoder } from './sse/sse-connection.js';
import { retryFrame } from './sse/sse-frames.js';
import { StreamSink } from './sse/stream-sink.js';
import { StreamQuota } from './stream-quota.js';
import { reconnectDelayMs, StreamSupervisor } from './stream-supervisor.js';

/** A host's access port with login sessions: the ended ones, and their announcements. */
class SessionAccess extends StreamAccess {
  readonly ended = new Set<string>();
  readonly announcements = new Subject<{ userId: string; sessionId: string }>();
  readonly userRemoved$: Observable<string> = EMPTY;
  readonly changes$: Observable<unknown> = EMPTY;
  override readonly sessionEnded$ = this.announcements.asObservable();

  apply(): void {}
  serverAdminIds(): ReadonlySet<string> {
    return new Set(['admin']);
  }
  libraryMembers(): Iterable<[string, StreamLibraryRole]> {
    return [];
  }
  hasAccount(): boolean {
    return true;
  }
  override isSessionEnded(sessionId: string): boolean {
    return this.ended.has(sessionId);
  }
}

const admin: StreamPrincipal = {
  userId: 'admin',
  active: true,
  isServerAdmin: () => true,
  isLibraryAdmin: () => true,
  canRead: () => true,
};

/** An admin's SSE connection written to `wire`, added to `supervisor`. */
function openOn(
  supervisor: StreamSupervisor<ReturnType<typeof retryFrame>, SseConnection>,
  wire: PassThrough,
  retryMs: number,
  { sessionId, lastEventId }: { sessionId?: string; lastEventId?: number } = {},
): SseConnection {
  const connection = new SseConnection(
    StreamSink.ofSocket(wire as unknown as Socket),
    sseEncoder(retryFrame(retryMs)),
    admin,
    null,
    Number.MAX_SAFE_INTEGER,
    sessionId,
    supervisor.limits,
    Date.now(),
  );
  supervisor.add(connection, lastEventId, Date.now());
  return connection;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A clock of the test's own, and a socket each write to which takes `writeMs` of it. */
function slowWrites(writeMs: number): { clock: () => number; wire: PassThrough } {
  let time = 0;
  const wire = new PassThrough();
  const write = wire.write.bind(wire) as (chunk: Buffer) => boolean;
  wire.write = ((chunk: Buffer) => {
    time += writeMs;
    return write(chunk);
  }) as typeof wire.write;
  return { clock: () => time, wire };
}

/** The chunks written to `wire` from now on. */
function writesTo(wire: PassThrough): string[] {
  const writes: string[] = [];
  wire.on('data', (chunk: Buffer) => writes.push(chunk.toString()));
  return writes;
}

describe('StreamSupervisor', () => {
  const options = eventsOptionsOf(loadAppConfig({ SSE_MAX_QUEUE_EVENTS: '2' }));
  let access: SessionAccess;
  let hub: ReturnType<typeof publishingHub>;
  let counters: StreamCounters;
  let supervisor: StreamSupervisor<ReturnType<typeof retryFrame>, SseConnection>;

  /** A started supervisor of SSE connections on this test's hub, access and counters. */
  function supervise(
    settings: StreamSettings,
    clock?: () => number,
  ): StreamSupervisor<ReturnType<typeof retryFrame>, SseConnection> {
    const started = new StreamSupervisor<ReturnType<typeof retryFrame>, SseConnection>(
      hub,
      access,
      new StreamQuota(options),
      sseEncoder(retryFrame(settings.retryMs)),
      settings,
      counters,
      clock,
    );
    started.start();
    return started;
  }

  beforeEach(() => {
    access = new SessionAccess();
    hub = publishingHub(options);
    counters = new StreamCounters();
    supervisor = supervise(options.sse);
  });
  /** Supervisors a test starts besides `supervisor`, with clocks or settings of their own. */
  let others: { stop(): void }[] = [];
  afterEach(() => {
    supervisor.stop();
    for (const other of others) other.stop();
    others = [];
  });

  function open(
    sessionId: string,
    lastEventId?: number,
    wire = new PassThrough(),
  ): { connection: SseConnection; wire: PassThrough } {
    const connection = openOn(supervisor, wire, options.sse.retryMs, { sessionId, lastEventId });
    return { connection, wire };
  }

  it('closes the streams of a session when it ends, and only those', () => {
    const ending = open('s-1');
    const going = open('s-2');
    access.announcements.next({ userId: 'admin', sessionId: 's-1' });
    expect(ending.wire.writableEnded).toBe(true);
    expect(going.wire.writableEnded).toBe(false);
  });

  it('closes a stream as it opens when its session ended while it was being authenticated', () => {
    access.ended.add('s-late');
    const late = open('s-late');
    const live = open('s-live');
    expect(late.wire.writableEnded).toBe(true);
    expect(live.wire.writableEnded).toBe(false);
  });

  it('counts each delivery once, live and replayed, and the resumes', async () => {
    open('s-1');
    open('s-2');
    hub.publish('library-status', { library: 'l-1', message: 'one' });
    hub.publish('library-status', { library: 'l-1', message: 'two' });
    await nextTurn();
    expect(counters.delivered).toBe(4);
    open('s-3', 1);
    expect(counters).toMatchObject({ delivered: 5, resumes: 1, resyncs: 0 });
    open('s-4', 99);
    expect(counters).toMatchObject({ delivered: 7, resumes: 2, resyncs: 1 });
  });

  /** A supervisor on `clock` with one connection, written to `wire`, and what it is sent. */
  function streamOn(
    settings: StreamSettings,
    { clock, wire }: { clock: () => number; wire: PassThrough },
  ): string[] {
    const timed = supervise(settings, clock);
    others.push(timed);
    openOn(timed, wire, settings.retryMs);
    return writesTo(wire);
  }

  it('writes an event after a quiet spell at once, and those that follow a flush within twice the time it took together once that has passed', async () => {
    const writes = streamOn({ ...options.sse, flushWindowMs: 1000 }, slowWrites(25));
    hub.publish('library-status', { library: 'l-1', message: 'first' });
    await nextTurn();
    expect(writes.join('')).toContain('first');
    writes.length = 0;
    hub.publish('library-status', { library: 'l-1', message: 'second' });
    await nextTurn();
    hub.publish('library-status', { library: 'l-1', message: 'third' });
    await nextTurn();
    expect(writes).toEqual([]);
    await sleep(100);
    // One batch: a single chunk's size line, then both frames.
    expect(writes[0]).toMatch(/^[0-9a-f]+\r\n$/);
    expect(writes.join('')).toMatch(/second[^]*third/);
  });

  it('holds nothing after a flush that took no time', async () => {
    const writes = streamOn(options.sse, slowWrites(0));
    hub.publish('library-status', { library: 'l-1', message: 'first' });
    await nextTurn();
    hub.publish('library-status', { library: 'l-1', message: 'second' });
    await nextTurn();
    expect(writes.join('')).toMatch(/first[^]*second/);
  });

  it('holds events no longer than the flush window, however long the last flush took', async () => {
    const writes = streamOn({ ...options.sse, flushWindowMs: 30 }, slowWrites(5000));
    hub.publish('library-status', { library: 'l-1', message: 'first' });
    await nextTurn();
    hub.publish('library-status', { library: 'l-1', message: 'second' });
    await sleep(10);
    expect(writes.join('')).not.toContain('second');
    await sleep(40);
    expect(writes.join('')).toContain('second');
  });

  it('writes each turn what waits when the flush window is 0', async () => {
    const writes = streamOn({ ...options.sse, flushWindowMs: 0 }, slowWrites(15));
    hub.publish('library-status', { library: 'l-1', message: 'first' });
    await nextTurn();
    expect(writes.join('')).toContain('first');
    hub.publish('library-status', { library: 'l-1', message: 'second' });
    await nextTurn();
    expect(writes.join('')).toContain('second');
  });

  it('counts the events skipped for a client that stopped reading, and its lagged notices', async () => {
    // Its opening frame is more than the socket takes: what follows waits in the queue.
    const stalled = open('s-1', undefined, new PassThrough({ highWaterMark: 1 }));
    for (let index = 0; index < 5; index++) {
      hub.publish('library-status', { library: 'l-1', message: `waits ${index}` });
    }
    await nextTurn();
    expect(counters).toMatchObject({ delivered: 5, skipped: 0, lagged: 0 });
    stalled.wire.resume();
    await new Promise((resolve) => stalled.wire.once('drain', resolve));
    supervisor.drained(stalled.connection);
    await nextTurn();
    expect(counters).toMatchObject({ delivered: 5, skipped: 3, lagged: 1 });
  });
});

/** The bytes a handed-over stream wrote so far, chunked as on the wire. */
function bytesOf(wire: PassThrough): string {
  return (wire.read() as Buffer | null)?.toString() ?? '';
}

/**
 * Every byte an ended stream wrote. From Node 26 on, a batch written corked reaches a
 * PassThrough's readable side over the following ticks, not within the write.
 */
async function allBytesOf(wire: PassThrough): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of wire) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** The `retry:` values of a stream's frames, in order. */
function retriesIn(bytes: string): number[] {
  return [...bytes.matchAll(/^retry: (\d+)$/gm)].map((match) => Number(match[1]));
}

describe('StreamSupervisor draining, SSE', () => {
  const base = eventsOptionsOf(loadAppConfig({}));
  const settings: StreamSettings = { ...base.sse, retryMs: 1000, drainJitterMs: 4000 };
  const options = { ...base, sse: settings, streamsPerUser: 10_000 };
  let hub: ReturnType<typeof publishingHub>;
  let supervisor: StreamSupervisor<ReturnType<typeof retryFrame>, SseConnection>;

  beforeEach(() => {
    hub = publishingHub(options);
    supervisor = new StreamSupervisor(
      hub,
      new SessionAccess(),
      new StreamQuota(options),
      sseEncoder(retryFrame(settings.retryMs)),
      settings,
      new StreamCounters(),
    );
    supervisor.start();
  });
  afterEach(() => supervisor.stop());

  function open(): PassThrough {
    const wire = new PassThrough({ highWaterMark: 1 << 20 });
    openOn(supervisor, wire, settings.retryMs);
    return wire;
  }

  it('tells each stream a delay of its own within [retry, retry + window], spread evenly, then ends it with its last chunk', async () => {
    const count = 4000;
    const wires = Array.from({ length: count }, open);
    // The opening retry, already written.
    for (const wire of wires) expect(retriesIn(bytesOf(wire))).toEqual([1000]);
    supervisor.drain();
    const delays = await Promise.all(
      wires.map(async (wire) => {
        expect(wire.writableEnded).toBe(true);
        const bytes = await allBytesOf(wire);
        expect(bytes.endsWith('\r\n0\r\n\r\n')).toBe(true);
        const retries = retriesIn(bytes);
        expect(retries).toHaveLength(1);
        return retries[0];
      }),
    );
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(5000);
    // Uniform over 4 s: each second holds a quarter, give or take 6 standard deviations of a
    // binomial (about 165 of 1000): a bound a fair draw misses once in hundreds of millions.
    const perSecond = [0, 0, 0, 0];
    for (const delay of delays) perSecond[Math.min(3, Math.floor((delay - 1000) / 1000))]++;
    const mean = count / 4;
    const bound = 6 * Math.sqrt(count * 0.25 * 0.75);
    for (const held of perSecond) expect(Math.abs(held - mean)).toBeLessThan(bound);
    expect(new Set(delays).size).toBeGreaterThan(count / 4);
  });

  it('writes what waits in a queue before the retry, and sends away a stream that opens while it drains', async () => {
    const early = open();
    bytesOf(early);
    // Queued: the flush comes at the end of the event-loop turn, after the drain.
    const event = hub.publish('tags', { library: 'lib-1', tags: [] });
    supervisor.drain();
    const frames = await allBytesOf(early);
    expect(frames.indexOf(`id: ${event.id}`)).toBeGreaterThan(-1);
    expect(frames.indexOf(`id: ${event.id}`)).toBeLessThan(frames.indexOf('retry: '));
    expect(supervisor.draining).toBe(true);

    const late = open();
    expect(late.writableEnded).toBe(true);
    expect(retriesIn(await allBytesOf(late))).toHaveLength(2);
  });

  it('cuts off a client that stopped reading rather than ending behind what it never reads', () => {
    const stalled = new PassThrough({ highWaterMark: 16 });
    openOn(supervisor, stalled, settings.retryMs);
    expect(stalled.writableNeedDrain).toBe(true);
    supervisor.drain();
    expect(stalled.destroyed).toBe(true);
  });
});

describe('StreamSupervisor draining, Socket.IO', () => {
  const options = eventsOptionsOf(loadAppConfig({}));

  /** engine.io's connection as far as a drained socket uses it. */
  class StandInEngine extends EventEmitter {
    readyState = 'open';
    readonly sent: string[] = [];
    write(text: string): void {
      this.sent.push(text);
      this.emit('drain');
    }
    close(): void {
      this.readyState = 'closing';
    }
  }

  it("closes each socket's transport, writing no reconnect frame and no disconnect packet", () => {
    const supervisor = new StreamSupervisor<SocketPacket, SocketConnection>(
      publishingHub(options),
      new SessionAccess(),
      new StreamQuota(options),
      socketEncoder,
      options.sse,
      new StreamCounters(),
    );
    const sockets = Array.from({ length: 3 }, () => {
      const engine = new StandInEngine();
      const socket = { conn: engine, disconnected: false, disconnects: 0 };
      Object.assign(socket, { disconnect: () => socket.disconnects++ });
      const connection = new SocketConnection(
        socket as unknown as IoSocket,
        socketEncoder,
        admin,
        null,
        Number.MAX_SAFE_INTEGER,
        undefined,
        supervisor.limits,
        0,
        () => undefined,
        (drained) => supervisor.drained(drained),
      );
      supervisor.add(connection, undefined, 0);
      return { engine, socket };
    });
    supervisor.drain();
    for (const { engine, socket } of sockets) {
      expect(engine.readyState).toBe('closing');
      expect(engine.sent).toEqual([]);
      expect(socket.disconnects).toBe(0);
    }
  });
});

describe('reconnectDelayMs', () => {
  it('draws within [retry, retry + window], over a 5 s window for a host that sets none', () => {
    const { drainJitterMs: _unset, ...hostSettings } = eventsOptionsOf(loadAppConfig({})).sse;
    const delays = Array.from({ length: 2000 }, () =>
      reconnectDelayMs({ ...hostSettings, retryMs: 2000 }),
    );
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(7000);
    // Each of the window's seconds holds some of them.
    expect(
      new Set(delays.map((delay) => Math.min(4, Math.floor((delay - 2000) / 1000)))).size,
    ).toBe(5);
    expect(reconnectDelayMs({ ...hostSettings, retryMs: 2000, drainJitterMs: 0 })).toBe(2000);
  });
});
