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
  Query,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal } from '../common/auth.decorators.js';
import {
  BackupArchiveDto,
  BackupDto,
  CreateBackupDto,
  DeleteBackupQueryDto,
  UpdateBackupDto,
} from './backups.dto.js';
import { BackupsService } from './backups.service.js';

/**
 * Backups of one library (its admins) or of the whole server (server admins). A run writes a
 * tar archive under BACKUP_DIR: `reelay.db` (a consistent snapshot of the database, kept to the
 * library for a library backup), `libraries/<library>/<media>/<file>` for each media file, and
 * `manifest.json`. Each backup keeps its newest `keep` archives and deletes older ones.
 */
@ApiTags('backups')
@ApiBearerAuth()
@Controller('backups')
export class BackupsController {
  constructor(private readonly backups: BackupsService) {}

  @Post()
  @ApiCreatedResponse({ type: BackupDto })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateBackupDto,
  ): Promise<BackupDto> {
    return this.backups.create(principal, body);
  }

  @Get()
  @ApiOkResponse({ type: [BackupDto], description: 'the backups the caller may manage' })
  list(@CurrentPrincipal() principal: Principal): Promise<BackupDto[]> {
    return this.backups.list(principal);
  }

  @Get(':id')
  @ApiOkResponse({ type: BackupDto })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<BackupDto> {
    return this.backups.get(principal, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: BackupDto })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateBackupDto,
  ): Promise<BackupDto> {
    return this.backups.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted; a run in progress is stopped first' })
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: DeleteBackupQueryDto,
  ): Promise<void> {
    return this.backups.remove(principal, id, query.archives ?? 'keep');
  }

  @Get(':id/archives')
  @ApiOkResponse({ type: [BackupArchiveDto], description: 'the archives kept, newest first' })
  archives(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<BackupArchiveDto[]> {
    return this.backups.listArchives(principal, id);
  }

  @Post(':id/run')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: BackupDto,
    description: 'the run started in the background; `backups` events tell how it goes',
  })
  run(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<BackupDto> {
    return this.backups.run(principal, id);
  }
}
