import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessModule } from './access/access.module.js';
import { AccessService } from './access/access.service.js';
import { APP_INFO } from './app.info.js';
import { AuthModule } from './auth/auth.module.js';
import { JwtAuthGuard } from './auth/jwt-auth.guard.js';
import { STREAM_SECURITY_SCHEMES } from './auth/stream-credentials.js';
import { TokenStreamAuthenticator } from './auth/token-stream.authenticator.js';
import { BackupsModule } from './backups/backups.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { HealthController } from './common/health.controller.js';
import { EventBacklogGuard } from './common/event-backlog.guard.js';
import { JsonBodyGuard } from './common/json-body.guard.js';
import { ShutdownModule } from './common/shutdown.module.js';
import { AppConfigModule } from './config/config.module.js';
import { type AppConfig, eventsOptionsOf } from './config/app-config.js';
import { APP_CONFIG, type AppConfigOverrides } from './config/config.provider.js';
import { DatabaseModule } from './database/database.module.js';
import { EventsModule } from './events/events.module.js';
import {
  DATABASE_EVENT_STORE,
  DATABASE_ID_CEILING,
} from './events/log/database-event-log.providers.js';
import { StreamSocketMiddleware } from './events/sse/stream-socket.middleware.js';
import { LibrariesModule } from './libraries/libraries.module.js';
import { MediaModule } from './media/media.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ProgressModule } from './progress/progress.module.js';
import { UsersModule } from './users/users.module.js';

/**
 * Reelay's own application: every domain module, the events module with Reelay's own ports
 * (its JWT, its access state, its database), and what Reelay wants on every route: the JWT
 * guard, the body guards, and no request on a socket that carries a stream.
 */
@Module({})
export class AppModule implements NestModule {
  /** The whole application; `overrides` take the place of environment variables (tests). */
  static forRoot(overrides: AppConfigOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(overrides),
        ShutdownModule,
        DatabaseModule,
        AccessModule,
        AuthModule,
        UsersModule,
        LibrariesModule,
        EventsModule.forRootAsync({
          imports: [AccessModule],
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => eventsOptionsOf(config),
          authenticator: TokenStreamAuthenticator,
          access: AccessService,
          eventStore: DATABASE_EVENT_STORE,
          idCeiling: DATABASE_ID_CEILING,
          apiDocument: {
            ...APP_INFO,
            // The servers' `host` variable: where a default configuration listens (PORT).
            host: 'localhost:3000',
            securitySchemes: STREAM_SECURITY_SCHEMES,
          },
        }),
        MediaModule,
        CatalogModule,
        ProgressModule,
        BackupsModule,
        MetricsModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: JsonBodyGuard },
        { provide: APP_GUARD, useClass: EventBacklogGuard },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(StreamSocketMiddleware)
      .forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}
