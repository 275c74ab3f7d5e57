import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../../src/access/principal.js';
import { CurrentPrincipal, ServerAdminOnly } from '../../src/common/auth.decorators.js';
import { BenchPublishDto, BenchPublishResultDto } from './bench-publish.dto.js';
import { BenchPublishService } from './bench-publish.service.js';

/** The benchmark's event source, mounted only by the bench's own server (reelay-bench-server.ts). */
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
