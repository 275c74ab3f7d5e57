import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from './auth.decorators.js';
import { DatabaseService } from '../database/database.service.js';
import { EventsPublisher } from '../events/events.publisher.js';

export interface Readiness {
  status: 'ok';
  checks: { database: 'up'; eventBus: 'up' };
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: DatabaseService,
    private readonly events: EventsPublisher,
  ) {}

  /** Liveness: the process answers. */
  @Public()
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database answers and events can go out (Redis, with EVENT_BUS=redis). */
  @Public()
  @Get('ready')
  @ApiOkResponse({ description: 'ready: the database and the event bus are up' })
  @ApiServiceUnavailableResponse({ description: 'the message names the dependency that is down' })
  async ready(): Promise<Readiness> {
    try {
      await this.database.ping();
    } catch (error) {
      throw new ServiceUnavailableException(
        `Not ready: the database does not answer (${String(error)})`,
      );
    }
    const bus = this.events.health();
    if (!bus.up) {
      throw new ServiceUnavailableException(
        `Not ready: the event bus cannot reach ${bus.dependency ?? 'its store'}` +
          (bus.detail ? ` (${bus.detail})` : ''),
      );
    }
    return { status: 'ok', checks: { database: 'up', eventBus: 'up' } };
  }
}
