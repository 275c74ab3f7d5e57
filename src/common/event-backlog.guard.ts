import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { EventsPublisher } from '../events/events.publisher.js';
import { RetryLaterException } from './retry-later.exception.js';

const PUBLISHES_NO_EVENTS = 'reelay:publishes-no-events';

/** Marks a changing route that never publishes an event (login), so a backlog never stops it. */
export const PublishesNoEvents = () => SetMetadata(PUBLISHES_NO_EVENTS, true);

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a client is told to wait before trying a refused change again. */
const RETRY_AFTER_SECONDS = 5;

/**
 * While the event bus cannot take more events (its outbox is full: Redis has been away a while),
 * changes are refused with 503 before anything is committed, so that no change is ever made
 * whose event could be lost. Reads go on.
 */
@Injectable()
export class EventBacklogGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly events: EventsPublisher,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const { method = 'GET' } = context.switchToHttp().getRequest<IncomingMessage>();
    if (READS.has(method) || this.events.health().accepting) return true;
    if (this.reflector.get<boolean | undefined>(PUBLISHES_NO_EVENTS, context.getHandler())) {
      return true;
    }
    throw new RetryLaterException(
      'Changes are paused: events wait for the event bus (Redis) to come back',
      RETRY_AFTER_SECONDS,
      503,
    );
  }
}
