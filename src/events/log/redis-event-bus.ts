import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Subscription } from 'rxjs';
import { StreamAccess } from '../events.ports.js';
import { EVENTS_OPTIONS, type EventsModuleOptions } from '../events.options.js';
import { EventHub } from '../event-hub.js';
import { eventWeight, HistoryBudget } from '../history-budget.js';
import { type BusHealth, EventBus } from './event-bus.js';
import type { StoredEvent } from './event-store.js';
import { EventIdCeiling } from './event-id-ceiling.js';

/** Ids reserved in the database at a time: a Redis that lost its data skips at most this many. */
const RESERVATION = 1000;
/** Entries appended by one script call: each call is atomic, so a batch keeps its order. */
const MAX_BATCH = 200;
/** The stream keeps at least this many entries, so a reader a little behind misses none. */
const MIN_STREAM_LENGTH = 10_000;
const READ_BLOCK_MS = 1000;
const READ_COUNT = 1000;
const RETRY_MS = 250;
/** How long a start waits for Redis before going on without its history. */
const START_WAIT_MS = 5000;
const FINAL_FLUSH_MS = 2000;
/** Events an outbox holds before changes are refused (503) until Redis is back. */
const OUTBOX_LIMIT = 50_000;
/** Entries read at a time when a start reads the history back. */
const RESTORE_PAGE = 500;
/** How far the oldest id a history keeps moves on before the stream is trimmed to it. */
const TRIM_STEP = 1000;

const EVENT = 'e';
const CONTROL = 'c';
const FIELDS_PER_ENTRY = 7;

/**
 * Appends a batch of entries in order. Events take the next id from the counter, as stream id
 * `<id>-0`; an access change takes the current one, as `<id>-<n>`, so it sits between the
 * events it came between and uses no event id. Stops before an event past the ceiling (the
 * caller raises it in the database) and when the counter or the ceiling is missing (a Redis
 * that lost its data: the caller seeds both from the database).
 * Returns {status, id needed, ids of the entries appended}.
 */
const APPEND_SCRIPT = `
local counter = redis.call('GET', KEYS[1])
local ceiling = redis.call('GET', KEYS[2])
if not counter or not ceiling then return {'seed', 0} end
counter = tonumber(counter)
ceiling = tonumber(ceiling)
local ids = {}
for b = 2, #ARGV, ${FIELDS_PER_ENTRY} do
  local kind = ARGV[b]
  local sid
  if kind == '${EVENT}' then
    if counter + 1 > ceiling then return {'reserve', counter + 1, unpack(ids)} end
    counter = counter + 1
    redis.call('SET', KEYS[1], counter)
    sid = counter .. '-0'
  else
    sid = counter .. '-*'
  end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], sid, 'k', kind, 'n', ARGV[b + 1],
    'd', ARGV[b + 2], 'r', ARGV[b + 3], 'l', ARGV[b + 4], 'o', ARGV[b + 5], 'p', ARGV[b + 6])
  ids[#ids + 1] = counter
end
return {'ok', 0, unpack(ids)}
`;

/**
 * Sets a missing counter to the floor (another process may have seeded it a moment ago, from a
 * floor as safe) and raises the ceiling; neither ever goes down.
 */
const SEED_SCRIPT = `
if not redis.call('GET', KEYS[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
if tonumber(redis.call('GET', KEYS[2]) or '-1') < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[2])
end
return 1
`;

type AppendReply = [status: 'ok' | 'seed' | 'reserve', needed: number, ...ids: number[]];
type StreamEntry = [streamId: string, fields: string[]];

interface RedisWithScripts extends Redis {
  appendEntries(...args: (string | number)[]): Promise<AppendReply>;
  seedIds(...args: (string | number)[]): Promise<number>;
}

/** One entry waiting to be appended: its script arguments, in order. */
type OutboxEntry = { kind: typeof EVENT | typeof CONTROL; args: string[] };

function fieldsOf(fields: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) {
    record[fields[index]] = fields[index + 1];
  }
  return record;
}

function toStored(id: number, fields: Record<string, string>): StoredEvent {
  return {
    id,
    name: fields.n,
    data: fields.d,
    readerData: fields.r === '' ? null : fields.r,
    library: fields.l === '' ? null : fields.l,
    owner: fields.o === '' ? null : fields.o,
  };
}

/**
 * The shared bus: every process appends its events to one Redis Stream, numbered by Redis in
 * the same script as the append, and delivers what it reads back, so that every process
 * delivers the same events with the same ids in the same order. Access changes travel in the
 * stream too, between the events they came between, and are applied by the other processes in
 * that order. Events wait in an outbox while Redis is away and go out in order when it is back;
 * open streams stay open meanwhile.
 */
@Injectable()
export class RedisEventBus extends EventBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisEventBus.name);
  private readonly origin = randomUUID();
  private readonly keys: { counter: string; ceiling: string; stream: string };
  private readonly maxLength: number;
  private readonly commands: RedisWithScripts;
  private readonly reader: Redis;
  private readonly outbox: OutboxEntry[] = [];
  private sending = false;
  private retryTimer?: NodeJS.Timeout;
  private reading = false;
  /** False from a failed read of the stream until a read succeeds again. */
  private readerHealthy = true;
  /** Where reading goes on: undefined until the history was read from the stream. */
  private lastStreamId?: string;
  /** Ids below this were trimmed from the stream (or never needed trimming). */
  private trimmedBelow = 0;
  /** The events read, weighed as the histories weigh them: what the stream must still hold. */
  private readonly streamBudget: HistoryBudget;
  private readonly historyBytes: number;
  private lastEventRead = 0;
  /** The newest id given to an event of this process. */
  private ownNewestId = 0;
  private readonly waiters = new Set<() => void>();
  private subscription?: Subscription;

  constructor(
    @Inject(EVENTS_OPTIONS) config: EventsModuleOptions,
    private readonly hub: EventHub,
    private readonly access: StreamAccess,
    private readonly ceiling: EventIdCeiling,
  ) {
    super();
    if (config.bus.kind !== 'redis') throw new Error('the Redis bus needs bus settings for Redis');
    const { prefix, url } = config.bus;
    this.keys = {
      counter: `${prefix}:events:counter`,
      ceiling: `${prefix}:events:ceiling`,
      stream: `${prefix}:events`,
    };
    this.maxLength = Math.max(config.sse.historySize, MIN_STREAM_LENGTH);
    this.historyBytes = config.sse.historyBytes;
    this.streamBudget = new HistoryBudget({
      maxEvents: this.maxLength,
      maxBytes: this.historyBytes,
    });
    // Appends fail at once while Redis is away: the outbox keeps them, in order, until it is back.
    this.commands = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    }) as RedisWithScripts;
    this.commands.defineCommand('appendEntries', { numberOfKeys: 3, lua: APPEND_SCRIPT });
    this.commands.defineCommand('seedIds', { numberOfKeys: 2, lua: SEED_SCRIPT });
    this.reader = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: null,
      lazyConnect: true,
    });
    for (const connection of [this.commands, this.reader]) {
      connection.on('error', (error: Error) => this.logger.debug(`Redis: ${error.message}`));
    }
    this.commands.on('ready', () => this.pump());
  }

  async onModuleInit(): Promise<void> {
    this.commands.connect().catch(() => undefined);
    this.reader.connect().catch(() => undefined);
    if (await this.ready(START_WAIT_MS)) {
      await this.restoreHistory();
    } else {
      this.logger.warn(
        'Redis is not reachable at start: events wait until it is, and resumes get resync until then',
      );
    }
    this.subscription = this.access.changes$.subscribe((change) => this.sendChange(change));
    void this.readLoop();
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    const deadline = Date.now() + FINAL_FLUSH_MS;
    while (this.outbox.length > 0 && Date.now() < deadline) {
      this.pump();
      // oxlint-disable-next-line no-await-in-loop -- waits for the outbox to drain, a bounded time
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (this.outbox.length > 0) {
      this.logger.error(`${this.outbox.length} events could not reach Redis before the stop`);
    }
    this.reading = false;
    clearTimeout(this.retryTimer);
    this.reader.disconnect();
    this.commands.disconnect();
  }

  publish(name: string, message: unknown): void {
    const encoded = this.hub.encode(name, message);
    this.enqueue({
      kind: EVENT,
      args: [
        EVENT,
        encoded.name,
        encoded.data,
        encoded.readerData ?? '',
        encoded.library ?? '',
        encoded.owner ?? '',
        this.origin,
      ],
    });
  }

  delivered(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const check = () => {
        if (this.outbox.length === 0 && this.hub.lastEventId >= this.ownNewestId) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  health(): BusHealth {
    const accepting = this.outbox.length < OUTBOX_LIMIT;
    const detail =
      this.commands.status !== 'ready'
        ? `connection ${this.commands.status}`
        : this.reader.status !== 'ready' || !this.readerHealthy
          ? 'the stream cannot be read'
          : undefined;
    return detail === undefined
      ? { up: true, accepting }
      : { up: false, accepting, dependency: 'redis', detail };
  }

  async readLag(): Promise<number | undefined> {
    if (this.commands.status !== 'ready') return undefined;
    try {
      const newest = Number((await this.commands.get(this.keys.counter)) ?? '0');
      return Math.max(0, newest - this.lastEventRead);
    } catch {
      return undefined;
    }
  }

  /** Sends this process's access change to the others, in order with its events. */
  private sendChange(change: unknown): void {
    this.enqueue({
      kind: CONTROL,
      args: [CONTROL, '', JSON.stringify(change), '', '', '', this.origin],
    });
  }

  private enqueue(entry: OutboxEntry): void {
    this.outbox.push(entry);
    this.pump();
  }

  /** Appends what waits in the outbox, a batch at a time, unless a batch is on its way. */
  private pump(): void {
    if (this.sending || this.outbox.length === 0 || this.commands.status !== 'ready') return;
    this.sending = true;
    this.sendBatch()
      .catch((error: unknown) => {
        this.logger.warn(`Events wait for Redis: ${String(error)}`);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.pump(), RETRY_MS);
      })
      .finally(() => {
        this.sending = false;
        this.notifyWaiters();
        if (this.outbox.length > 0 && !this.retryTimer) setImmediate(() => this.pump());
      });
  }

  private async sendBatch(): Promise<void> {
    this.retryTimer = undefined;
    const batch = this.outbox.slice(0, MAX_BATCH);
    const [status, needed, ...ids] = await this.commands.appendEntries(
      this.keys.counter,
      this.keys.ceiling,
      this.keys.stream,
      this.maxLength,
      ...batch.flatMap((entry) => entry.args),
    );
    batch.slice(0, ids.length).forEach((entry, index) => {
      if (entry.kind === EVENT) this.ownNewestId = Math.max(this.ownNewestId, ids[index]);
    });
    this.outbox.splice(0, ids.length);
    if (status === 'seed') {
      const floor = await this.ceiling.current();
      await this.commands.seedIds(
        this.keys.counter,
        this.keys.ceiling,
        floor,
        await this.ceiling.raise(floor + RESERVATION),
      );
    } else if (status === 'reserve') {
      const raised = await this.ceiling.raise(needed - 1 + RESERVATION);
      await this.commands.seedIds(this.keys.counter, this.keys.ceiling, 0, raised);
    }
  }

  /**
   * The newest events of the stream, for resume; reading goes on after the newest entry, whose
   * stream id this returns. `late`: Redis came after the start, with connections already open.
   */
  private async restoreHistory(late = false): Promise<string> {
    const newest = await this.newestEntries();
    const events: StoredEvent[] = [];
    for (const [streamId, fields] of newest.toReversed()) {
      const record = fieldsOf(fields);
      if (record.k === EVENT) events.push(toStored(Number.parseInt(streamId, 10), record));
    }
    const lastId = events.at(-1)?.id ?? Number((await this.commands.get(this.keys.counter)) ?? '0');
    this.streamBudget.clear();
    for (const event of events) this.streamBudget.add(eventWeight(event.data, event.readerData));
    this.lastEventRead = lastId;
    this.hub.restore({ lastId, events });
    // Redis came after the start: open connections may have missed what went by meanwhile.
    if (late) this.hub.announceGap('the event stream was out of reach; reload your state');
    this.lastStreamId = newest.length > 0 ? newest[0][0] : '0-0';
    return this.lastStreamId;
  }

  /**
   * The newest entries, newest first, page by page, until the history's limits are reached: a
   * start never reads more of the stream than it could keep.
   */
  private async newestEntries(): Promise<StreamEntry[]> {
    const entries: StreamEntry[] = [];
    let bytes = 0;
    let before = '+';
    while (entries.length < this.maxLength) {
      // oxlint-disable-next-line no-await-in-loop -- each page starts where the last ended
      const page = (await this.commands.xrevrange(
        this.keys.stream,
        before,
        '-',
        'COUNT',
        Math.min(RESTORE_PAGE, this.maxLength - entries.length),
      )) as StreamEntry[];
      for (const entry of page) {
        const record = fieldsOf(entry[1]);
        if (record.k === EVENT) bytes += eventWeight(record.d, record.r || null);
        if (bytes > this.historyBytes) return entries;
        entries.push(entry);
      }
      if (page.length === 0) return entries;
      before = `(${page[page.length - 1][0]}`;
    }
    return entries;
  }

  /** One blocking read at a time, for the life of the process; errors wait and try again. */
  private async readLoop(): Promise<void> {
    this.reading = true;
    while (this.reading) {
      try {
        // A start without Redis reads the history once Redis answers, then goes on after it.
        // oxlint-disable-next-line no-await-in-loop -- once, before the first read
        const from = this.lastStreamId ?? (await this.restoreHistory(true));
        // oxlint-disable-next-line no-await-in-loop -- one blocking read after another
        const reply = await this.reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          this.keys.stream,
          from,
        );
        this.readerHealthy = true;
        for (const [streamId, fields] of reply?.[0]?.[1] ?? []) this.take(streamId, fields);
        this.notifyWaiters();
        this.trimToHistory();
      } catch (error) {
        if (!this.reading) return;
        this.readerHealthy = false;
        this.logger.debug(`Reading the event stream failed: ${String(error)}`);
        // oxlint-disable-next-line no-await-in-loop -- waits before the next try
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /**
   * Drops from the stream what no history keeps any more, so that SSE_HISTORY_BYTES bounds Redis
   * too (MAXLEN bounds the count only). Every process weighs the events it reads alike, gaps
   * in its own history aside, and trims to the same point; a trim every thousand ids or so
   * costs nothing noticeable.
   */
  private trimToHistory(): void {
    const oldest = this.lastEventRead - this.streamBudget.kept + 1;
    if (oldest - this.trimmedBelow < TRIM_STEP) return;
    this.trimmedBelow = oldest;
    this.commands
      .xtrim(this.keys.stream, 'MINID', '~', `${oldest}-0`)
      .catch((error: unknown) =>
        this.logger.debug(`Trimming the event stream failed: ${String(error)}`),
      );
  }

  private take(streamId: string, fields: string[]): void {
    this.lastStreamId = streamId;
    const record = fieldsOf(fields);
    if (record.k === EVENT) {
      const event = this.hub.deliver(toStored(Number.parseInt(streamId, 10), record));
      this.streamBudget.add(event.weight);
      this.lastEventRead = event.id;
    } else if (record.k === CONTROL && record.p !== this.origin) {
      this.access.apply(JSON.parse(record.d) as unknown);
    }
  }

  private notifyWaiters(): void {
    for (const check of this.waiters) check();
  }

  /** Resolves whether both connections came up within `timeoutMs`. */
  private async ready(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.commands.status === 'ready' && this.reader.status === 'ready') return true;
      // oxlint-disable-next-line no-await-in-loop -- polls the connection state, a bounded time
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return false;
  }
}
