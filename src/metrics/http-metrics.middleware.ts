import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service.js';

/** The label of a request no route took: one series for all of them, whatever their paths. */
const UNMATCHED = 'unmatched';

/**
 * Times every request by its route's pattern (`/libraries/:id`, never the path itself: one
 * series per route, whatever ids clients send). Streams are left out: they last as long as
 * their clients stay.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      if (String(response.getHeader('content-type')).startsWith('text/event-stream')) return;
      const route = (request.route as { path?: unknown } | undefined)?.path;
      this.metrics.httpDuration.observe(
        {
          method: request.method,
          route: typeof route === 'string' ? request.baseUrl + route : UNMATCHED,
          status: response.statusCode,
        },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  }
}
