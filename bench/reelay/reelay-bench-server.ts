import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { AppModule } from '../../src/app.module.js';
import { runServer } from '../../src/server.js';
import { BenchModule } from './bench.module.js';

/** Reelay as `npm start` runs it, with the benchmark's publish route beside it. */
@Module({})
class ReelayBenchModule {
  static forRoot(): DynamicModule {
    return { module: ReelayBenchModule, imports: [AppModule.forRoot(), BenchModule] };
  }
}

runServer(() => ReelayBenchModule.forRoot());
