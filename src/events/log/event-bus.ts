/** Whether the bus can take and deliver events now, and if not, what it waits for. */
export interface BusHealth {
  up: boolean;
  /** False while the bus takes no more events (its outbox is full): changes must wait. */
  accepting: boolean;
  /** The dependency the bus waits for, when it is down ("redis", say). */
  dependency?: string;
  detail?: string;
}

/**
 * How events get their ids and reach every process's hub: the only way in for publishers. The
 * embedded bus (LocalEventBus) numbers them in this process and keeps them in the database; the
 * Redis bus (RedisEventBus) appends them to one Redis Stream that every process reads back.
 */
export abstract class EventBus {
  /**
   * Publishes a message of an event type of the module's catalog (EventsPublisher checks its
   * type); the hub delivers it once it has its id (at once, or a moment later).
   */
  abstract publish(name: string, message: unknown): void;

  /**
   * Resolves once every event this process published so far has been delivered here, or after
   * `timeoutMs` whatever happened: for a change that must follow its own event locally.
   */
  abstract delivered(timeoutMs: number): Promise<void>;

  abstract health(): BusHealth;

  /**
   * How many events the shared log holds that this process has not read yet; undefined for a
   * bus that has no shared log, or when the log cannot be asked.
   */
  abstract readLag(): Promise<number | undefined>;
}
