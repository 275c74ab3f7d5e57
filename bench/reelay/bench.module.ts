import { Module } from '@nestjs/common';
import { LibrariesModule } from '../../src/libraries/libraries.module.js';
import { BenchPublishController } from './bench-publish.controller.js';
import { BenchPublishService } from './bench-publish.service.js';
import { ObservedStreamController } from './observed-stream.controller.js';

/**
 * The fan-out benchmark's way to publish events: not part of the product. The bench's own
 * server (reelay-bench-server.ts) composes it with AppModule, so a normal start has no such route.
 */
@Module({
  imports: [LibrariesModule],
  controllers: [BenchPublishController, ObservedStreamController],
  providers: [BenchPublishService],
})
export class BenchModule {}
