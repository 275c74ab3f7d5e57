import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { EMPTY, type Observable, Subject } from 'rxjs';
import { eventsOptionsOf, loadAppConfig } from '../config/app-config.js';
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

describe('StreamSupervisor and login sessions', () => {
  const options = eventsOptionsOf(loadAppConfig({}));
  let access: SessionAccess;
  let supervisor: StreamSupervisor<ReturnType<typeof retryFrame>, SseConnection>;

  beforeEach(() => {
    access = new SessionAccess();
    supervisor = new StreamSupervisor(
      publishingHub(options),
      access,
      new StreamQuota(options),
      sseEncoder(retryFrame(options.sse.retryMs)),
      options.sse,
    );
    supervisor.start();
  });
  afterEach(() => supervisor.stop());

  function open(sessionId: string): { connection: SseConnection; wire: PassThrough } {
    const wire = new PassThrough();
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
    supervisor.add(connection, undefined, Date.now());
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
});
