import { Body, Controller, Get, Param, ParseUUIDPipe, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal } from '../common/auth.decorators.js';
import type { MediaProgress, MediaRating } from '../events/events.types.js';
import { MediaProgressDto, MediaRatingDto, SetProgressDto, SetRatingDto } from './progress.dto.js';
import { ProgressService } from './progress.service.js';

/** The caller's own playback position and rating of a media; `read` on the library suffices. */
@ApiTags('progress')
@ApiBearerAuth()
@Controller('libraries/:id/medias/:mediaId')
export class ProgressController {
  constructor(private readonly progress: ProgressService) {}

  @Put('progress')
  @ApiOkResponse({ type: MediaProgressDto })
  setProgress(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
    @Body() body: SetProgressDto,
  ): Promise<MediaProgress> {
    return this.progress.set('progress', principal, libraryId, mediaId, body.progress);
  }

  @Get('progress')
  @ApiOkResponse({ type: MediaProgressDto, description: '404 when you have none' })
  getProgress(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
  ): Promise<MediaProgress> {
    return this.progress.get('progress', principal, libraryId, mediaId);
  }

  @Put('rating')
  @ApiOkResponse({ type: MediaRatingDto })
  setRating(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
    @Body() body: SetRatingDto,
  ): Promise<MediaRating> {
    return this.progress.set('rating', principal, libraryId, mediaId, body.rating);
  }

  @Get('rating')
  @ApiOkResponse({ type: MediaRatingDto, description: '404 when you have none' })
  getRating(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
  ): Promise<MediaRating> {
    return this.progress.get('rating', principal, libraryId, mediaId);
  }
}
