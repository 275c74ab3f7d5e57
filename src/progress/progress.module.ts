import { Module } from '@nestjs/common';
import { LibrariesModule } from '../libraries/libraries.module.js';
import { ProgressController } from './progress.controller.js';
import { ProgressRepository } from './progress.repository.js';
import { ProgressService } from './progress.service.js';

/** Each user's playback position and rating of medias (media_progress, media_rating). */
@Module({
  imports: [LibrariesModule],
  controllers: [ProgressController],
  providers: [ProgressRepository, ProgressService],
})
export class ProgressModule {}
