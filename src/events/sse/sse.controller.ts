import { Controller, Get, Headers, Query, Req, Res, SetMetadata, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiOkResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { STREAM_ROUTE } from '../events.ports.js';
import { parseLastEventId, parseLibraryFilter } from './sse-query.js';
import { SseService } from './sse.service.js';
import { StreamGuard, type StreamHttpRequest } from './stream.guard.js';

@ApiTags('events')
@ApiBearerAuth()
@ApiCookieAuth('token')
@SetMetadata(STREAM_ROUTE, true)
@UseGuards(StreamGuard)
@Controller()
export class SseController {
  constructor(private readonly sse: SseService) {}

  /**
   * The event stream. Frames are written by SseService rather than through `@Sse()`: Nest's
   * per-message pipeline measured 10-13x slower than plain node:http (see README, "How delivery works").
   */
  @Get('sse')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'A text/event-stream of the events the caller may see' })
  @ApiQuery({ name: 'libraries', required: false, description: 'comma-separated library ids' })
  @ApiQuery({ name: 'lastEventId', required: false, description: 'resume after this event id' })
  @ApiQuery({
    name: 'token',
    required: false,
    description: 'access token, for clients that cannot set headers',
  })
  stream(
    @Req() request: StreamHttpRequest,
    @Res() response: Response,
    @Query('libraries') libraries: unknown,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Headers('last-event-id') lastEventIdHeader: unknown,
  ): void {
    const filter = parseLibraryFilter(libraries);
    const lastEventId = parseLastEventId(lastEventIdHeader, lastEventIdQuery);
    const { principal, expiresAt, sessionId } = request.streamIdentity;
    this.sse.open(principal, request, response, { filter, lastEventId, expiresAt, sessionId });
  }
}
