import { Controller, ForbiddenException, Get, Req, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { STREAM_ROUTE } from './events.ports.js';
import { StreamGuard, type StreamHttpRequest } from './sse/stream.guard.js';
import type { ConnectionStats } from './connection-registry.js';
import { EventsTelemetry } from './events-telemetry.js';

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
  constructor(private readonly telemetry: EventsTelemetry) {}

  /** Live figures of the event system, for operators and tests. */
  @Get('stats')
  stats(@Req() request: StreamHttpRequest): EventStats {
    if (!request.streamIdentity.principal.isServerAdmin()) {
      throw new ForbiddenException('This needs a server admin');
    }
    return {
      lastEventId: this.telemetry.lastEventId,
      sse: this.telemetry.streams('sse'),
      socketio: this.telemetry.streams('socketio'),
    };
  }
}
