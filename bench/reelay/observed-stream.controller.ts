import { Controller, Headers, type MessageEvent, Query, Sse } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Principal } from '../../src/access/principal.js';
import { CurrentPrincipal } from '../../src/common/auth.decorators.js';
import { EventStreams } from '../../src/events/event-streams.js';

/**
 * The events as a host's own `@Sse()` route would serve them, on EventStreams.observe(): the
 * bench measures it beside `/sse` (contender `reelay-observe`).
 */
@Controller()
export class ObservedStreamController {
  constructor(private readonly streams: EventStreams) {}

  @Sse('observed')
  observed(
    @CurrentPrincipal() principal: Principal,
    @Query('libraries') libraries: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
  ): Observable<MessageEvent> {
    return this.streams.observe(principal, {
      libraries: libraries?.split(','),
      lastEventId: lastEventId === undefined ? undefined : Number(lastEventId),
    });
  }
}
