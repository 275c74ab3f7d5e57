import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { EventHub } from './event-hub.js';
import { EventsController } from './events.controller.js';
import { EventsPublisher } from './events.publisher.js';
import { EventStore } from './log/event-store.js';
import { SqliteEventStore } from './log/sqlite-event-store.js';
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
    { provide: EventStore, useClass: SqliteEventStore },
    EventHub,
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
