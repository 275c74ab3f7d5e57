import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { LibrariesController } from './libraries.controller.js';
import { LibrariesRepository } from './libraries.repository.js';
import { LibrariesService } from './libraries.service.js';

/** Libraries and per-user library roles; other domains ask it for access to a library. */
@Module({
  imports: [AccessModule],
  controllers: [LibrariesController],
  providers: [LibrariesRepository, LibrariesService],
  exports: [LibrariesService],
})
export class LibrariesModule {}
