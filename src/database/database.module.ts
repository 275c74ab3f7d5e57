import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { DatabaseService } from './database.service.js';

@Global()
@Module({
  providers: [
    {
      provide: DatabaseService,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        const database = new DatabaseService(config);
        await database.migrate();
        return database;
      },
    },
  ],
  exports: [DatabaseService],
})
export class DatabaseModule {}
