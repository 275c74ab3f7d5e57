import { Module } from '@nestjs/common';
import { LibrariesModule } from '../libraries/libraries.module.js';
import { BackupArchiveAdapter } from './backup-archive.adapter.js';
import { BackupScheduler } from './backup-scheduler.js';
import { BackupsController } from './backups.controller.js';
import { BackupsRepository } from './backups.repository.js';
import { BackupsService } from './backups.service.js';

/** Backup definitions, their runs and their schedules (backups, backups-files). */
@Module({
  imports: [LibrariesModule],
  controllers: [BackupsController],
  providers: [BackupsRepository, BackupArchiveAdapter, BackupsService, BackupScheduler],
})
export class BackupsModule {}
