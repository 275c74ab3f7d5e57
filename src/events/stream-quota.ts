import { Inject, Injectable } from '@nestjs/common';
import { EVENTS_OPTIONS, type EventsModuleOptions } from './events.options.js';

/**
 * How many streams each user holds open, over both transports, against `STREAMS_PER_USER`: one
 * account must not be able to hold thousands of connections (and their file descriptors).
 */
@Injectable()
export class StreamQuota {
  private readonly openByUser = new Map<string, number>();
  readonly limit: number;

  constructor(@Inject(EVENTS_OPTIONS) config: EventsModuleOptions) {
    this.limit = config.streamsPerUser;
  }

  /** Takes a place for one more stream of the user; false when the user holds them all. */
  tryAcquire(userId: string): boolean {
    const open = this.openByUser.get(userId) ?? 0;
    if (open >= this.limit) return false;
    this.openByUser.set(userId, open + 1);
    return true;
  }

  /** Gives back a place taken by `tryAcquire`, once the stream is gone. */
  release(userId: string): void {
    const open = this.openByUser.get(userId) ?? 0;
    if (open <= 1) this.openByUser.delete(userId);
    else this.openByUser.set(userId, open - 1);
  }

  /** Why a stream was refused, for the client. */
  get refusal(): string {
    return `This user already holds ${this.limit} open streams, the most allowed`;
  }
}
