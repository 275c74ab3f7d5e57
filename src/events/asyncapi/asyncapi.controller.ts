import { Controller, Get, Header, SetMetadata } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { STREAM_ROUTE } from '../events.ports.js';
import { AsyncApiService } from './asyncapi.service.js';

@ApiTags('events')
// Public: like the module's other routes it passes the host's global guard, and it has no guard
// of its own, as the document holds nothing but the API's shape.
@SetMetadata(STREAM_ROUTE, true)
@Controller('api')
export class AsyncApiController {
  constructor(private readonly asyncApi: AsyncApiService) {}

  /** The AsyncAPI 3.0 document of the event API (`GET /sse` and Socket.IO). */
  @Get('events.json')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiProduces('application/json')
  @ApiOkResponse({ description: 'The AsyncAPI 3.0 document of the event API' })
  document(): string {
    return this.asyncApi.json;
  }
}
