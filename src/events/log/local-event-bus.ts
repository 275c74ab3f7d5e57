import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EventHub } from '../event-hub.js';
import type { EventMap, EventName } from '../events.types.js';
import type { PublishedEvent } from '../published-event.js';
import { type BusHealth, EventBus } from './event-bus.js';
import { EventStore } from './event-store.js';

/**
 * The embedded bus: one process numbers its events itself, each id reserved in the event store
 * before it goes out, delivers them at once, and hands them to the store to outlive it.
 */
@Injectable()
export class LocalEventBus extends EventBus implements OnModuleInit {
  constructor(
    private readonly hub: EventHub,
    private readonly store: EventStore,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    this.hub.restore(await this.store.open());
  }

  publish<N extends EventName>(name: N, message: EventMap[N]): PublishedEvent {
    const id = this.hub.lastEventId + 1;
    this.store.reserveThrough(id);
    const stored = { id, ...this.hub.encode(name, message) };
    const event = this.hub.deliver(stored);
    this.store.append(stored);
    return event;
  }

  delivered(): Promise<void> {
    return Promise.resolve();
  }

  health(): BusHealth {
    return { up: true, accepting: true };
  }
}
