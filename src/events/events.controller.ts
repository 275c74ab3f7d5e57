import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ServerAdminOnly } from '../common/auth.decorators.js';
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
@ServerAdminOnly()
@Controller('events')
export class EventsController {
  constructor(
    private readonly hub: EventHub,
    private readonly sse: SseService,
    private readonly socketio: SocketService,
  ) {}

  /** Live figures of the event system, for operators and tests. */
  @Get('stats')
  stats(): EventStats {
    return {
      lastEventId: this.hub.lastEventId,
      sse: this.sse.stats,
      socketio: this.socketio.stats,
    };
  }
}
