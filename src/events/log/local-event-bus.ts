import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { EventHub } from '../event-hub.js';
import type { PublishedEvent } from '../published-event.js';
import { type BusHealth, EventBus } from './event-bus.js';
import { type EncodedEvent, EventStore } from './event-store.js';

/** How long held events wait before a failed reservation is tried again. */
const RETRY_RESERVATION_MS = 1000;

/**
 * The embedded bus: one process numbers its events itself, each id reserved in the event store
 * before it goes out, delivers them at once, and hands them to the store to outlive it. When the
 * store has to wait for its database to reserve more ids (PostgreSQL), the events published
 * meanwhile are held, in order, and go out once the ids are theirs.
 */
@Injectable()
export class LocalEventBus extends EventBus implements OnModuleInit {
  private readonly logger = new Logger(LocalEventBus.name);
  private readonly held: EncodedEvent[] = [];
  private releasing?: Promise<void>;

  constructor(
    private readonly hub: EventHub,
    private readonly store: EventStore,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    this.hub.restore(await this.store.open());
  }

  /** The event as it went out, or undefined when it is held until its id is reserved. */
  publish(name: string, message: unknown): PublishedEvent | undefined {
    const encoded = this.hub.encode(name, message);
    if (this.held.length === 0) {
      const reservation = this.store.reserveThrough(this.hub.lastEventId + 1);
      if (reservation === undefined) return this.deliver(encoded);
      this.releasing = this.release(reservation).catch((error: unknown) => {
        this.logger.error(`${this.held.length} held events were dropped: ${String(error)}`);
        this.held.length = 0;
        this.releasing = undefined;
      });
    }
    this.held.push(encoded);
    return undefined;
  }

  private deliver(encoded: EncodedEvent): PublishedEvent {
    const stored = { id: this.hub.lastEventId + 1, ...encoded };
    const event = this.hub.deliver(stored);
    this.store.append(stored, event.weight);
    return event;
  }

  /** Delivers the held events in order, each once its id is reserved. */
  private async release(reservation: Promise<void>): Promise<void> {
    let waiting: Promise<void> | undefined = reservation;
    while (waiting !== undefined || this.held.length > 0) {
      if (waiting !== undefined) {
        try {
          // oxlint-disable-next-line no-await-in-loop -- the next id needs this reservation
          await waiting;
        } catch (error) {
          this.logger.error(
            `${this.held.length} events wait for their ids: the event log could not reserve ` +
              `them (${String(error)}); trying again in ${RETRY_RESERVATION_MS} ms`,
          );
          // oxlint-disable-next-line no-await-in-loop -- held until the database answers
          await new Promise((resolve) => setTimeout(resolve, RETRY_RESERVATION_MS));
        }
      }
      if (this.held.length === 0) break;
      waiting = this.store.reserveThrough(this.hub.lastEventId + 1);
      if (waiting === undefined) this.deliver(this.held.shift() as EncodedEvent);
    }
    this.releasing = undefined;
  }

  async delivered(timeoutMs: number): Promise<void> {
    if (this.releasing === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.releasing,
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  health(): BusHealth {
    return { up: true, accepting: true };
  }

  readLag(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
}
