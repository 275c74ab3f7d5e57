import type { ConnectionState } from './reconnector.js';

/** The leader tab's connection, as the other tabs show it. */
export interface SharedStatus {
  state: ConnectionState;
  error?: string;
  lastEventId?: number;
}

type TabMessage =
  | { type: 'event'; name: string; data: unknown; id?: number }
  | { type: 'status'; status: SharedStatus }
  | { type: 'hello' };

export interface TabShareHandlers {
  /** This tab holds the lock now: open the stream (from the last id it saw). */
  lead(): void;
  /** An event the leader tab received. */
  event(name: string, data: unknown, id: number | undefined): void;
  /** The leader tab's connection changed. */
  status(status: SharedStatus): void;
  /** This tab's connection, for a tab that just opened. */
  snapshot(): SharedStatus;
}

/** The part of the Web Locks API used here, declared so that the package builds without DOM types. */
interface LockManager {
  request(
    name: string,
    options: { signal: AbortSignal },
    callback: () => Promise<void> | undefined,
  ): Promise<unknown>;
}

function lockManager(): LockManager | undefined {
  return (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
}

/** Whether this runtime is a browser page that can share one stream between its tabs. */
export function canShareTabs(): boolean {
  return (
    'document' in globalThis &&
    typeof BroadcastChannel === 'function' &&
    typeof lockManager()?.request === 'function'
  );
}

/**
 * One stream per browser: the tabs of one origin that want the same stream elect a leader with
 * a Web Lock (the browser hands it to the next waiting tab when the leader's tab closes, even
 * when it crashes), and the leader shares what it receives over a BroadcastChannel. The other
 * tabs follow the leader's events and keep the last id, so the tab that takes over resumes from
 * there; ids that arrive twice around a takeover are dropped by the client.
 */
export class TabShare {
  private readonly channel: InstanceType<typeof BroadcastChannel>;
  private readonly abort = new AbortController();
  private releaseLock?: () => void;
  private leading = false;

  constructor(
    private readonly key: string,
    private readonly handlers: TabShareHandlers,
  ) {
    this.channel = new BroadcastChannel(key);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.channel.addEventListener('message', (message) =>
      this.received((message as unknown as { data: TabMessage }).data),
    );
    this.post({ type: 'hello' });
    lockManager()
      ?.request(this.key, { signal: this.abort.signal }, () => {
        if (this.abort.signal.aborted) return undefined;
        this.leading = true;
        this.handlers.lead();
        return new Promise<void>((release) => (this.releaseLock = release));
      })
      .catch((error: unknown) => {
        // Closed before this tab's turn came: the request was withdrawn.
        if (!this.abort.signal.aborted) throw error;
      });
  }

  /** Leader only: an event for the other tabs. */
  shareEvent(name: string, data: unknown, id: number | undefined): void {
    this.post(id === undefined ? { type: 'event', name, data } : { type: 'event', name, data, id });
  }

  /** Leader only: its connection changed. */
  shareStatus(status: SharedStatus): void {
    this.post({ type: 'status', status });
  }

  /** Leaves: a leader gives the lock to the next tab, which resumes the stream. */
  close(): void {
    this.abort.abort();
    this.leading = false;
    this.releaseLock?.();
    this.channel.close();
  }

  private received(message: TabMessage): void {
    if (this.leading) {
      if (message.type === 'hello') this.shareStatus(this.handlers.snapshot());
      return;
    }
    if (message.type === 'event') this.handlers.event(message.name, message.data, message.id);
    else if (message.type === 'status') this.handlers.status(message.status);
  }

  private post(message: TabMessage): void {
    // A BroadcastChannel reaches only its own origin's contexts: there is no target to name.
    // oxlint-disable-next-line unicorn/require-post-message-target-origin
    this.channel.postMessage(message);
  }
}
