import { Controller, HttpException, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal } from '../common/auth.decorators.js';
import type { Media } from '../events/events.types.js';
import { MediaDto } from './media.dto.js';
import { TakesMultipart } from '../common/json-body.guard.js';
import { MediaUploadService } from './media-upload.service.js';

@ApiTags('medias')
@ApiBearerAuth()
@Controller('libraries/:libraryId/upload')
export class MediaUploadController {
  constructor(private readonly uploads: MediaUploadService) {}

  @Post()
  @TakesMultipart()
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        name: { type: 'string', description: 'label; the file name if absent' },
        description: { type: 'string' },
        size: { type: 'integer', description: 'bytes, for exact progress; send before the file' },
        file: { type: 'string', format: 'binary' },
      },
    },
  })
  @ApiCreatedResponse({ type: MediaDto })
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<Media> {
    try {
      return await this.uploads.receive(principal, libraryId, request);
    } catch (error) {
      // Refused before the body was read: close the connection after answering rather than
      // reading (possibly gigabytes of) a body that is not wanted.
      if (error instanceof HttpException && !request.complete) {
        response.setHeader('Connection', 'close');
      }
      throw error;
    }
  }
}
