import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  type MessageEvent,
  Module,
  Param,
  Post,
  Req,
  Sse,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { EventStreams } from '../../../src/events/event-streams.js';
import { EventsModule } from '../../../src/events/events.module.js';
import { EventsPublisher } from '../../../src/events/events.publisher.js';
import {
  HostAuthGuard,
  HostJwtStrategy,
  type HostRequest,
  HostStreamAuthenticator,
} from './host-auth.js';
import { HostDirectory, type StaffMember } from './host-directory.js';
import { HOST_EVENTS } from './host-events.js';

@Module({ providers: [HostDirectory], exports: [HostDirectory] })
export class HostDirectoryModule {}

/** The host's own routes: its users, its rule, and events of both catalogs. */
@Controller()
export class HostController {
  constructor(
    private readonly directory: HostDirectory,
    private readonly events: EventsPublisher,
    private readonly streams: EventStreams,
  ) {}

  @Get('me')
  me(@Req() request: HostRequest): StaffMember {
    return request.user;
  }

  /** A note: the host's own event type. */
  @Post('projects/:id/notes')
  note(
    @Req() request: HostRequest,
    @Param('id') project: string,
    @Body() body: { text?: unknown },
  ): void {
    this.mayPost(request.user, project);
    this.events.publishIn(HOST_EVENTS, 'project-note', {
      library: project,
      author: request.user.id,
      text: String(body.text),
    });
  }

  /** A tag: one of Reelay's event types, published as Reelay's domain code does. */
  @Post('projects/:id/tags')
  tag(
    @Req() request: HostRequest,
    @Param('id') project: string,
    @Body() body: { name?: unknown },
  ): void {
    this.mayPost(request.user, project);
    const now = Date.now();
    const tag = {
      id: `tag-${now}`,
      library: project,
      name: String(body.name),
      added: now,
      updated: now,
    };
    this.events.tags(project, [{ action: 'Added', tag }]);
  }

  /** The host's own `@Sse()` route, on the events module's Observable API. */
  @Sse('host-events')
  hostEvents(@Req() request: HostRequest): Observable<MessageEvent> {
    return this.streams.observe(this.directory.principalOf(request.user.id));
  }

  private mayPost(member: StaffMember, project: string): void {
    if (this.directory.roleIn(member.id, project) === undefined) {
      throw new ForbiddenException('Not a project of your team');
    }
  }
}

/**
 * A NestJS server of its own that embeds Reelay's event system: its own users and passport
 * strategy, its own permission rule (teams and their projects), and one event type of its own.
 */
@Module({
  imports: [
    HostDirectoryModule,
    EventsModule.forRoot({
      imports: [HostDirectoryModule],
      options: {
        sse: {
          retryMs: 2000,
          keepaliveMs: 15_000,
          maxQueueEvents: 256,
          maxQueueBytes: 256 * 1024,
          historySize: 1000,
          historyBytes: 4 * 1024 * 1024,
          handover: 'off',
        },
        streamsPerUser: 8,
        bus: { kind: 'local' },
      },
      catalog: HOST_EVENTS,
      authenticator: HostStreamAuthenticator,
      access: HostDirectory,
    }),
  ],
  controllers: [HostController],
  providers: [HostJwtStrategy, { provide: APP_GUARD, useClass: HostAuthGuard }],
})
export class HostAppModule {}
