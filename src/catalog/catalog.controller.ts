import {
  applyDecorators,
  BadRequestException,
  Body,
  Controller,
  createParamDecorator,
  Delete,
  type ExecutionContext,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  type Type,
  ValidationPipe,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiParam, ApiTags } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { Request } from 'express';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal } from '../common/auth.decorators.js';
import {
  type CatalogItem,
  type CatalogKind,
  EPISODES,
  MOVIES,
  PEOPLE,
  SERIES,
  TAGS,
} from './catalog-kinds.js';
import {
  type CatalogInput,
  CreateEpisodeDto,
  CreateMovieDto,
  CreatePersonDto,
  CreateSerieDto,
  CreateTagDto,
  UpdateEpisodeDto,
  UpdateMovieDto,
  UpdatePersonDto,
  UpdateSerieDto,
  UpdateTagDto,
} from './catalog.dto.js';
import type { CatalogScope } from './catalog.repository.js';
import { CatalogService } from './catalog.service.js';

function uuidParam(request: Request, name: string): string {
  const value = request.params[name];
  if (typeof value !== 'string' || !isUUID(value)) {
    throw new BadRequestException(`${name} must be a UUID`);
  }
  return value;
}

/** The library (`:id`) and, under a serie, the serie (`:serieId`) of the route. */
const RouteScope = createParamDecorator(
  (_data: unknown, context: ExecutionContext): CatalogScope => {
    const request = context.switchToHttp().getRequest<Request>();
    const libraryId = uuidParam(request, 'id');
    return 'serieId' in request.params
      ? { libraryId, serieId: uuidParam(request, 'serieId') }
      : { libraryId };
  },
);

/**
 * The body's DTO is the kind's, which a shared handler cannot declare as its parameter type:
 * the pipe is told it instead (the global pipe skips a parameter typed `Object`).
 */
const validatedAs = (dto: Type) =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    expectedType: dto,
  });

/**
 * The five routes of one kind; every kind's controller is this class under its own path. The
 * scope's path parameters are read by RouteScope, so OpenAPI is told of them here.
 */
function catalogController(
  kind: CatalogKind,
  createDto: Type,
  updateDto: Type,
  underSerie = false,
) {
  @ApiTags('catalog')
  @ApiBearerAuth()
  @applyDecorators(
    ApiParam({ name: 'id', format: 'uuid', description: 'the library' }),
    ...(underSerie
      ? [ApiParam({ name: 'serieId', format: 'uuid', description: 'the serie' })]
      : []),
  )
  class CatalogController {
    constructor(readonly catalog: CatalogService) {}

    @Post()
    @ApiBody({ type: createDto })
    create(
      @CurrentPrincipal() principal: Principal,
      @RouteScope() scope: CatalogScope,
      @Body(validatedAs(createDto)) body: CatalogInput & { name: string },
    ): Promise<CatalogItem> {
      return this.catalog.create(kind, principal, scope, body);
    }

    @Get()
    list(
      @CurrentPrincipal() principal: Principal,
      @RouteScope() scope: CatalogScope,
    ): Promise<CatalogItem[]> {
      return this.catalog.list(kind, principal, scope);
    }

    @Get(':itemId')
    get(
      @CurrentPrincipal() principal: Principal,
      @RouteScope() scope: CatalogScope,
      @Param('itemId', ParseUUIDPipe) id: string,
    ): Promise<CatalogItem> {
      return this.catalog.get(kind, principal, scope, id);
    }

    @Patch(':itemId')
    @ApiBody({ type: updateDto })
    update(
      @CurrentPrincipal() principal: Principal,
      @RouteScope() scope: CatalogScope,
      @Param('itemId', ParseUUIDPipe) id: string,
      @Body(validatedAs(updateDto)) body: CatalogInput,
    ): Promise<CatalogItem> {
      return this.catalog.update(kind, principal, scope, id, body);
    }

    @Delete(':itemId')
    @HttpCode(204)
    delete(
      @CurrentPrincipal() principal: Principal,
      @RouteScope() scope: CatalogScope,
      @Param('itemId', ParseUUIDPipe) id: string,
    ): Promise<void> {
      return this.catalog.delete(kind, principal, scope, id);
    }
  }
  return CatalogController;
}

@Controller('libraries/:id/series')
export class SeriesController extends catalogController(SERIES, CreateSerieDto, UpdateSerieDto) {}

@Controller('libraries/:id/series/:serieId/episodes')
export class EpisodesController extends catalogController(
  EPISODES,
  CreateEpisodeDto,
  UpdateEpisodeDto,
  true,
) {}

@Controller('libraries/:id/movies')
export class MoviesController extends catalogController(MOVIES, CreateMovieDto, UpdateMovieDto) {}

@Controller('libraries/:id/people')
export class PeopleController extends catalogController(PEOPLE, CreatePersonDto, UpdatePersonDto) {}

@Controller('libraries/:id/tags')
export class TagsController extends catalogController(TAGS, CreateTagDto, UpdateTagDto) {}
