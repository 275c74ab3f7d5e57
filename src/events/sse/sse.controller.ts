import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiOkResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../../auth/jwt-auth.guard.js';
import { parseLastEventId, parseLibraryFilter } from './sse-query.js';
import { SseService } from './sse.service.js';

@ApiTags('events')
@ApiBearerAuth()
@ApiCookieAuth('token')
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
    @Req() request: AuthenticatedRequest,
    @Res() response: Response,
    @Query('libraries') libraries: unknown,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Headers('last-event-id') lastEventIdHeader: unknown,
  ): void {
    const filter = parseLibraryFilter(libraries);
    const lastEventId = parseLastEventId(lastEventIdHeader, lastEventIdQuery);
    this.sse.open(request.user, request, response, {
      filter,
      lastEventId,
      expiresAt: request.tokenExpiresAt,
    });
  }
}
