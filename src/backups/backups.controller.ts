import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal } from '../auth/auth.decorators.js';
import { BackupDto, CreateBackupDto } from './backups.dto.js';
import { BackupsService } from './backups.service.js';

/**
 * Backups of one library (its admins) or of the whole server (server admins). A run writes a
 * tar archive under BACKUP_DIR: `reelay.db` (a consistent snapshot of the database, kept to the
 * library for a library backup), `libraries/<library>/<media>/<file>` for each media file, and
 * `manifest.json`.
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
