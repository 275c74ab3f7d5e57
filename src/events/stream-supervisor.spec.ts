import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { EMPTY, type Observable, Subject } from 'rxjs';
import { eventsOptionsOf, loadAppConfig } from '../config/app-config.js';
import { StreamCounters } from './event-counters.js';
import { type StreamLibraryRole, StreamAccess, type StreamPrincipal } from './events.ports.js';
import { publishingHub } from './log/volatile-event-store.js';
import { SseConnection, sseEncoder } from './sse/sse-connection.js';
import { retryFrame } from './sse/sse-frames.js';
import { StreamSink } from './sse/stream-sink.js';
import { StreamQuota } from './stream-quota.js';
import { StreamSupervisor } from './stream-supervisor.js';

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

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('StreamSupervisor', () => {
  const options = eventsOptionsOf(loadAppConfig({ SSE_MAX_QUEUE_EVENTS: '2' }));
  let access: SessionAccess;
  let hub: ReturnType<typeof publishingHub>;
  let counters: StreamCounters;
  let supervisor: StreamSupervisor<ReturnType<typeof retryFrame>, SseConnection>;

  beforeEach(() => {
    access = new SessionAccess();
    hub = publishingHub(options);
    counters = new StreamCounters();
    supervisor = new StreamSupervisor(
      hub,
      access,
      new StreamQuota(options),
      sseEncoder(retryFrame(options.sse.retryMs)),
      options.sse,
      counters,
    );
    supervisor.start();
  });
  afterEach(() => supervisor.stop());

  function open(
    sessionId: string,
    lastEventId?: number,
    wire = new PassThrough(),
  ): { connection: SseConnection; wire: PassThrough } {
    const connection = new SseConnection(
      StreamSink.ofSocket(wire as unknown as Socket),
      sseEncoder(retryFrame(options.sse.retryMs)),
      admin,
      null,
      Number.MAX_SAFE_INTEGER,
      sessionId,
      supervisor.limits,
      Date.now(),
    );
    supervisor.add(connection, lastEventId, Date.now());
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
