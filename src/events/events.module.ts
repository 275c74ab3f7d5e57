import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { EventHub } from './event-hub.js';
import { EventsController } from './events.controller.js';
import { EventsPublisher } from './events.publisher.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { AccessService } from '../access/access.service.js';
import { EventBus } from './log/event-bus.js';
import { EventIdCeilingRepository } from './log/event-id-ceiling.repository.js';
import { EventStore } from './log/event-store.js';
import { LocalEventBus } from './log/local-event-bus.js';
import { RedisEventBus } from './log/redis-event-bus.js';
import { SqliteEventStore } from './log/sqlite-event-store.js';
import { PostgresEventStore } from './log/postgres-event-store.js';
import { DatabaseService } from '../database/database.service.js';
import { SocketGateway } from './socket/socket.gateway.js';
import { SocketService } from './socket/socket.service.js';
import { SseController } from './sse/sse.controller.js';
import { SseService } from './sse/sse.service.js';
import { StreamSocketMiddleware } from './sse/stream-socket.middleware.js';
import { StreamQuota } from './stream-quota.js';

/**
 * The real-time event system. Domain modules import it for EventsPublisher, its only export;
 * the hub, the audience rules and the transports stay inside.
 */
@Module({
  imports: [AccessModule],
  controllers: [SseController, EventsController],
  providers: [
    {
      provide: EventStore,
      inject: [DatabaseService, APP_CONFIG],
      useFactory: (database: DatabaseService, config: AppConfig): EventStore =>
        database.engine === 'postgres'
          ? new PostgresEventStore(database, config)
          : new SqliteEventStore(database, config),
    },
    EventIdCeilingRepository,
    EventHub,
    {
      provide: EventBus,
      inject: [APP_CONFIG, EventHub, EventStore, AccessService, EventIdCeilingRepository],
      useFactory: (
        config: AppConfig,
        hub: EventHub,
        store: EventStore,
        access: AccessService,
        ceiling: EventIdCeilingRepository,
      ): EventBus =>
        config.eventBus === 'redis'
          ? new RedisEventBus(config, hub, access, ceiling)
          : new LocalEventBus(hub, store),
    },
    EventsPublisher,
    StreamQuota,
    SseService,
    SocketService,
    SocketGateway,
  ],
  exports: [EventsPublisher],
})
export class EventsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(StreamSocketMiddleware)
      .forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}
