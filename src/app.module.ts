import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessModule } from './access/access.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BackupsModule } from './backups/backups.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { HealthController } from './common/health.controller.js';
import { EventBacklogGuard } from './common/event-backlog.guard.js';
import { JsonBodyGuard } from './common/json-body.guard.js';
import { AppConfigModule } from './config/config.module.js';
import type { AppConfigOverrides } from './config/config.provider.js';
import { DatabaseModule } from './database/database.module.js';
import { EventsModule } from './events/events.module.js';
import { LibrariesModule } from './libraries/libraries.module.js';
import { MediaModule } from './media/media.module.js';
import { ProgressModule } from './progress/progress.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  /** The whole application; `overrides` take the place of environment variables (tests). */
  static forRoot(overrides: AppConfigOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(overrides),
        DatabaseModule,
        AccessModule,
        AuthModule,
        UsersModule,
        LibrariesModule,
        EventsModule,
        MediaModule,
        CatalogModule,
        ProgressModule,
        BackupsModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_GUARD, useClass: JsonBodyGuard },
        { provide: APP_GUARD, useClass: EventBacklogGuard },
      ],
    };
  }
}
