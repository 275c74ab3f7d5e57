import { Controller, Get, Header, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/auth.decorators.js';
import { MetricsGuard } from './metrics.guard.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('metrics')
@ApiBearerAuth()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus's text format; for server admins, or METRICS_TOKEN as a bearer token. */
  @Public()
  @UseGuards(MetricsGuard)
  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ description: 'the metrics, in Prometheus text format' })
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    const text = await this.metrics.scrape();
    response.type(this.metrics.contentType);
    return text;
  }
}
