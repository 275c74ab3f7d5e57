import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Put,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal, ServerAdminOnly } from '../common/auth.decorators.js';
import type { ServerLibrary } from '../events/events.types.js';
import {
  CreateLibraryDto,
  LibraryDto,
  SetLibraryRoleDto,
  UpdateLibraryDto,
} from './libraries.dto.js';
import { LibrariesService } from './libraries.service.js';

@ApiTags('libraries')
@ApiBearerAuth()
@Controller('libraries')
export class LibrariesController {
  constructor(private readonly libraries: LibrariesService) {}

  @Post()
  @ServerAdminOnly()
  @ApiCreatedResponse({ type: LibraryDto })
  async create(@Body() body: CreateLibraryDto): Promise<LibraryDto> {
    const library: ServerLibrary = await this.libraries.create(body);
    return { ...library, role: 'admin' };
  }

  @Get()
  @ApiOkResponse({ type: [LibraryDto] })
  list(@CurrentPrincipal() principal: Principal): Promise<LibraryDto[]> {
    return this.libraries.list(principal);
  }

  @Get(':id')
  @ApiOkResponse({ type: LibraryDto })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<LibraryDto> {
    return this.libraries.get(principal, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: LibraryDto })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateLibraryDto,
  ): Promise<LibraryDto> {
    return this.libraries.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  delete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    return this.libraries.delete(principal, id);
  }

  @Put(':id/users/:userId')
  @HttpCode(204)
  setRole(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('userId', ParseUUIDPipe) userId: string,
    @Body() body: SetLibraryRoleDto,
  ): Promise<void> {
    return this.libraries.setRole(principal, id, userId, body.role);
  }
}
