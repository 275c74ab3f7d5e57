import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal, ServerAdminOnly } from '../common/auth.decorators.js';
import { BenchPublishDto, BenchPublishResultDto } from './bench-publish.dto.js';
import { BenchPublishService } from './bench-publish.service.js';

/** Mounted only when REELAY_BENCH_PUBLISH is set (see AppModule): the benchmark's event source. */
@ApiTags('bench')
@ApiBearerAuth()
@ServerAdminOnly()
@Controller('bench')
export class BenchPublishController {
  constructor(private readonly bench: BenchPublishService) {}

  @Post('publish')
  @HttpCode(200)
  @ApiOkResponse({ type: BenchPublishResultDto })
  publish(
    @CurrentPrincipal() principal: Principal,
    @Body() body: BenchPublishDto,
  ): Promise<BenchPublishResultDto> {
    return this.bench.publish(principal, body);
  }
}
