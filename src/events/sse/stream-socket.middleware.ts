import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { SseService } from './sse.service.js';

/**
 * Closes a connection that sends a request while it carries an event stream. The stream owns
 * the connection's bytes once Node has handed it over, so the answer would land inside the
 * stream; no client that respects HTTP pipelines behind a response that never ends.
 */
@Injectable()
export class StreamSocketMiddleware implements NestMiddleware {
  constructor(private readonly sse: SseService) {}

  use(request: IncomingMessage, _response: unknown, next: () => void): void {
    if (this.sse.carriesStream(request.socket)) request.socket.destroy();
    else next();
  }
}
