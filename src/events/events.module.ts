import {
  type DynamicModule,
  type InjectionToken,
  Module,
  type ModuleMetadata,
  type Provider,
  type Type,
} from '@nestjs/common';
import { EventCounters } from './event-counters.js';
import { AsyncApiController } from './asyncapi/asyncapi.controller.js';
import { AsyncApiService } from './asyncapi/asyncapi.service.js';
import type { EventApiDescription } from './asyncapi/asyncapi.types.js';
import { EventHub } from './event-hub.js';
import { EventsTelemetry } from './events-telemetry.js';
import { EventStreams } from './event-streams.js';
import { EventsController } from './events.controller.js';
import {
  EVENT_API_DESCRIPTION,
  EVENTS_CATALOG,
  EVENTS_OPTIONS,
  type EventsModuleOptions,
} from './events.options.js';
import { EVENT_CATALOG, type EventCatalog } from './event-catalog.js';
import { StreamAccess, StreamAuthenticator } from './events.ports.js';
import { EventsPublisher } from './events.publisher.js';
import { EventBus } from './log/event-bus.js';
import { EventIdCeiling, VolatileIdCeiling } from './log/event-id-ceiling.js';
import { EventStore } from './log/event-store.js';
import { LocalEventBus } from './log/local-event-bus.js';
import { RedisEventBus } from './log/redis-event-bus.js';
import { VolatileEventStore } from './log/volatile-event-store.js';
import { SocketChannel } from './socket/socket.channel.js';
import { SocketService } from './socket/socket.service.js';
import { SseController } from './sse/sse.controller.js';
import { SseService } from './sse/sse.service.js';
import { StreamGuard } from './sse/stream.guard.js';
import { StreamQuota } from './stream-quota.js';

/** What fills the events module's ports, and the modules their providers come from. */
export interface EventsModulePorts {
  /** Modules whose exports the options' factory and the ports below inject. */
  imports?: ModuleMetadata['imports'];
  /**
   * The event types delivered: Reelay's catalog (the default), or a host's that extends it with
   * rows of its own (`{ ...EVENT_CATALOG, note: defineEvent<Note>()({ ... }) }`).
   */
  catalog?: EventCatalog;
  /** The authentication port: a class, built here with what `imports` export. */
  authenticator: Type<StreamAuthenticator>;
  /** The access port: a provider of the host's that implements StreamAccess. */
  access: InjectionToken;
  /**
   * Where the embedded bus keeps its events past the process (a provider of EventStore); by
   * default nowhere: ids start again at 1 with the process, and resumes across it resync.
   */
  eventStore?: Provider;
  /** Where the Redis bus keeps its id ceiling (a provider of EventIdCeiling); by default memory. */
  idCeiling?: Provider;
  /**
   * With it, the module serves `GET /api/events.json`, the AsyncAPI document of the event API,
   * completed with what the application says here of itself; without it, no such route.
   */
  apiDocument?: EventApiDescription;
}

/** The events module with its options given as they are. */
export interface EventsModuleRegistration extends EventsModulePorts {
  options: EventsModuleOptions;
}

/** The events module with its options built from the host's providers (its configuration). */
export interface EventsModuleAsyncRegistration extends EventsModulePorts {
  useFactory: (...args: never[]) => EventsModuleOptions | Promise<EventsModuleOptions>;
  inject?: InjectionToken[];
}

/**
 * The real-time event system, for Reelay's application and for a host that embeds it. Domain
 * modules inject EventsPublisher (the module is global), a host's own `@Sse()` routes
 * EventStreams, and its monitoring EventsTelemetry; the hub, the audience rules and the transports stay inside. It installs no app-wide guard, middleware or filter: its own routes
 * carry their guard (StreamGuard). A host that hands streams their sockets (`handover`) may
 * apply StreamSocketMiddleware to its routes, as Reelay does.
 */
@Module({})
export class EventsModule {
  static forRoot(registration: EventsModuleRegistration): DynamicModule {
    return EventsModule.register(registration, {
      provide: EVENTS_OPTIONS,
      useValue: registration.options,
    });
  }

  static forRootAsync(registration: EventsModuleAsyncRegistration): DynamicModule {
    return EventsModule.register(registration, {
      provide: EVENTS_OPTIONS,
      useFactory: registration.useFactory,
      inject: registration.inject ?? [],
    });
  }

  private static register(
    registration: EventsModulePorts,
    optionsProvider: Provider,
  ): DynamicModule {
    const { apiDocument } = registration;
    return {
      module: EventsModule,
      global: true,
      imports: registration.imports ?? [],
      controllers: [SseController, EventsController, ...(apiDocument ? [AsyncApiController] : [])],
      providers: [
        optionsProvider,
        { provide: EVENTS_CATALOG, useValue: registration.catalog ?? EVENT_CATALOG },
        { provide: StreamAuthenticator, useClass: registration.authenticator },
        { provide: StreamAccess, useExisting: registration.access },
        registration.eventStore ?? { provide: EventStore, useClass: VolatileEventStore },
        registration.idCeiling ?? { provide: EventIdCeiling, useClass: VolatileIdCeiling },
        EventHub,
        {
          provide: EventBus,
          inject: [EVENTS_OPTIONS, EventHub, EventStore, StreamAccess, EventIdCeiling],
          useFactory: (
            options: EventsModuleOptions,
            hub: EventHub,
            store: EventStore,
            access: StreamAccess,
            ceiling: EventIdCeiling,
          ): EventBus =>
            options.bus.kind === 'redis'
              ? new RedisEventBus(options, hub, access, ceiling)
              : new LocalEventBus(hub, store),
        },
        EventCounters,
        EventsTelemetry,
        EventsPublisher,
        EventStreams,
        StreamQuota,
        StreamGuard,
        SseService,
        SocketService,
        SocketChannel,
        ...(apiDocument
          ? [{ provide: EVENT_API_DESCRIPTION, useValue: apiDocument }, AsyncApiService]
          : []),
      ],
      // SseService for StreamSocketMiddleware, which an application applies to its own routes.
      exports: [EventsPublisher, EventStreams, SseService, EventsTelemetry],
    };
  }
}
