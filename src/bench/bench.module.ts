import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { LibrariesModule } from '../libraries/libraries.module.js';
import { BenchPublishController } from './bench-publish.controller.js';
import { BenchPublishService } from './bench-publish.service.js';

/**
 * The fan-out benchmark's way to publish events. AppModule imports it only when the
 * configuration asks for it (REELAY_BENCH_PUBLISH), so a normal start has no such route.
 */
@Module({
  imports: [EventsModule, LibrariesModule],
  controllers: [BenchPublishController],
  providers: [BenchPublishService],
})
export class BenchModule {}
