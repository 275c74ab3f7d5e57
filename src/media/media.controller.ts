import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal } from '../common/auth.decorators.js';
import type { Media } from '../events/events.types.js';
import {
  CreateMediaDto,
  DeleteMediasDto,
  ListMediasQueryDto,
  MediaDto,
  MediaPageDto,
  UpdateMediaDto,
  UpdateMediasDto,
} from './media.dto.js';
import { MediaService } from './media.service.js';

@ApiTags('medias')
@ApiBearerAuth()
@Controller('libraries/:libraryId/medias')
export class MediaController {
  constructor(private readonly medias: MediaService) {}

  @Post()
  @ApiCreatedResponse({ type: MediaDto, description: 'a media known by its metadata only' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Body() body: CreateMediaDto,
  ): Promise<Media> {
    return this.medias.create(principal, libraryId, body);
  }

  @Get()
  @ApiOkResponse({ type: MediaPageDto })
  list(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Query() query: ListMediasQueryDto,
  ): Promise<MediaPageDto> {
    return this.medias.list(principal, libraryId, query);
  }

  @Patch()
  @ApiOkResponse({ type: [MediaDto], description: 'all of them change, or none (404)' })
  updateMany(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Body() body: UpdateMediasDto,
  ): Promise<Media[]> {
    return this.medias.updateMany(principal, libraryId, body);
  }

  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'all of them are deleted, or none (404)' })
  deleteMany(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Body() body: DeleteMediasDto,
  ): Promise<void> {
    return this.medias.deleteMany(principal, libraryId, body);
  }

  @Get(':mediaId')
  @ApiOkResponse({ type: MediaDto })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
  ): Promise<Media> {
    return this.medias.get(principal, libraryId, mediaId);
  }

  @Patch(':mediaId')
  @ApiOkResponse({ type: MediaDto })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
    @Body() body: UpdateMediaDto,
  ): Promise<Media> {
    return this.medias.update(principal, libraryId, mediaId, body);
  }

  @Delete(':mediaId')
  @HttpCode(204)
  delete(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
  ): Promise<void> {
    return this.medias.delete(principal, libraryId, mediaId);
  }

  @Get(':mediaId/file')
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'the whole file; 206 with a Range header, 416 outside it' })
  async file(
    @CurrentPrincipal() principal: Principal,
    @Param('libraryId', ParseUUIDPipe) libraryId: string,
    @Param('mediaId', ParseUUIDPipe) mediaId: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const answer = await this.medias.file(principal, libraryId, mediaId, {
      range: request.get('range'),
      ifRange: request.get('if-range'),
      head: request.method === 'HEAD',
    });
    response.set(answer.headers);
    if (answer.status === 416) throw new HttpException(answer.message, 416);
    response.status(answer.status);
    if (answer.body === null) {
      response.end();
      return;
    }
    const { file, start, end } = answer.body;
    // A client that goes away ends the pipeline early; the stream then closes the file.
    await pipeline(file.stream(start, end), response).catch(() => undefined);
  }
}
