import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal } from '../common/auth.decorators.js';
import { ConversionJobDto, ConvertMediaDto } from './media.dto.js';
import { MediaConversionService } from './media-conversion.service.js';

@ApiTags('medias')
@ApiBearerAuth()
@Controller('libraries/:libraryId/medias/:mediaId/convert')
export class MediaConversionController {
  constructor(private readonly conversions: MediaConversionService) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: ConversionJobDto,
    description: 'queued; progress comes as convert_progress events',
  })
  @ApiServiceUnavailableResponse({ description: 'no ffmpeg on this server' })
  convert(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
    @Body() body: ConvertMediaDto,
  ): Promise<ConversionJobDto> {
    return this.conversions.enqueue(principal, libraryId, mediaId, body);
  }

  @Get()
  @ApiOkResponse({ type: ConversionJobDto, description: 'the active or latest conversion' })
  status(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
  ): Promise<ConversionJobDto> {
    return this.conversions.status(principal, libraryId, mediaId);
  }

  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'canceled; the partial output is removed' })
  cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
  ): Promise<void> {
    return this.conversions.cancel(principal, libraryId, mediaId);
  }
}
