import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from './auth.decorators.js';
import { DatabaseService } from '../database/database.service.js';
import { EventsPublisher } from '../events/events.publisher.js';
import { ShutdownGrace } from './shutdown-grace.js';

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
    private readonly grace: ShutdownGrace,
  ) {}

  /** Liveness: the process answers. */
  @Public()
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: the server is not stopping, the database answers and events can go out (Redis,
   * with EVENT_BUS=redis). A stopping server says so at once, for a load balancer to send new
   * clients elsewhere while it drains.
   */
  @Public()
  @Get('ready')
  @ApiOkResponse({ description: 'ready: the database and the event bus are up' })
  @ApiServiceUnavailableResponse({
    description: 'the message says the server is stopping, or names the dependency that is down',
  })
  async ready(): Promise<Readiness> {
    if (this.grace.draining) {
      throw new ServiceUnavailableException('Not ready: the server is shutting down');
    }
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
