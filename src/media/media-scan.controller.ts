import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal } from '../common/auth.decorators.js';
import { ScanStatusDto } from './media.dto.js';
import { MediaScanService } from './media-scan.service.js';

@ApiTags('medias')
@ApiBearerAuth()
@Controller('libraries/:libraryId/scan')
export class MediaScanController {
  constructor(private readonly scans: MediaScanService) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: ScanStatusDto,
    description: 'the scan runs in the background; progress comes as library-status events',
  })
  start(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
  ): Promise<ScanStatusDto> {
    return this.scans.start(principal, libraryId);
  }

  @Get()
  @ApiOkResponse({ type: ScanStatusDto, description: 'the running or the latest scan' })
  status(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
  ): Promise<ScanStatusDto> {
    return this.scans.status(principal, libraryId);
  }
}
