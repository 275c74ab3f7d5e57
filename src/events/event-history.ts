import { HistoryBudget, type HistoryLimits } from './history-budget.js';
import type { PublishedEvent } from './published-event.js';

export interface ReplayResult {
  /** False when the history cannot tell what came after the id: dropped, or never issued here. */
  complete: boolean;
  events: PublishedEvent[];
}

/**
 * The newest events within the history's limits (HistoryBudget), in a ring. Ids are
 * consecutive, so the events after an id are found by arithmetic, not by search.
 */
export class EventHistory {
  private readonly ring: (PublishedEvent | undefined)[];
  private readonly capacity: number;
  private readonly budget: HistoryBudget;
  private size = 0;
  private head = 0;

  constructor(limits: HistoryLimits) {
    this.capacity = limits.maxEvents;
    this.budget = new HistoryBudget(limits);
    this.ring = Array.from<PublishedEvent | undefined>({ length: this.capacity });
  }

  get length(): number {
    return this.size;
  }

  get bytes(): number {
    return this.budget.keptBytes;
  }

  /** Forgets every event, as after a gap in the ids. */
  clear(): void {
    this.ring.fill(undefined);
    this.budget.clear();
    this.size = 0;
    this.head = 0;
  }

  add(event: PublishedEvent): void {
    const { dropped, keepsNew } = this.budget.add(event.weight);
    for (let count = 0; count < dropped; count++) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
    if (!keepsNew) return;
    this.ring[(this.head + this.size) % this.capacity] = event;
    this.size++;
  }

  /** The events with an id above `lastEventId`, oldest first. */
  after(lastEventId: number, newestId: number): ReplayResult {
    if (lastEventId > newestId) return { complete: false, events: this.slice(0) };
    const oldestId = this.size === 0 ? newestId + 1 : this.at(0).id;
    const start = Math.max(0, lastEventId + 1 - oldestId);
    return { complete: lastEventId >= oldestId - 1, events: this.slice(start) };
  }

  private at(offset: number): PublishedEvent {
    return this.ring[(this.head + offset) % this.capacity] as PublishedEvent;
  }

  private slice(start: number): PublishedEvent[] {
    const events: PublishedEvent[] = [];
    for (let offset = start; offset < this.size; offset++) events.push(this.at(offset));
    return events;
  }
}
