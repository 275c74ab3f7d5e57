import { Controller, ForbiddenException, Get, Req, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { STREAM_ROUTE } from './events.ports.js';
import { StreamGuard, type StreamHttpRequest } from './sse/stream.guard.js';
import { EventHub } from './event-hub.js';
import { SocketService } from './socket/socket.service.js';
import type { ConnectionStats } from './connection-registry.js';
import { SseService } from './sse/sse.service.js';

export interface EventStats {
  lastEventId: number;
  sse: ConnectionStats;
  socketio: ConnectionStats;
}

@ApiTags('events')
@ApiBearerAuth()
// Authenticated like the streams (through the port), so that any host's admins are the ones.
@SetMetadata(STREAM_ROUTE, true)
@UseGuards(StreamGuard)
@Controller('events')
export class EventsController {
  constructor(
    private readonly hub: EventHub,
    private readonly sse: SseService,
    private readonly socketio: SocketService,
  ) {}

  /** Live figures of the event system, for operators and tests. */
  @Get('stats')
  stats(@Req() request: StreamHttpRequest): EventStats {
    if (!request.streamIdentity.principal.isServerAdmin()) {
      throw new ForbiddenException('This needs a server admin');
    }
    return {
      lastEventId: this.hub.lastEventId,
      sse: this.sse.stats,
      socketio: this.socketio.stats,
    };
  }
}
