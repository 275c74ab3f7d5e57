import { BadRequestException, Injectable } from '@nestjs/common';
import type { Principal } from '../access/principal.js';
import { EventsPublisher } from '../events/events.publisher.js';
import { LibrariesService } from '../libraries/libraries.service.js';
import { benchMediasMessage, paddingFor, wallClockMs } from './bench-payload.js';
import type { BenchPublishDto, BenchPublishResultDto } from './bench-publish.dto.js';

const DEFAULT_EVENT_SIZE = 512;

/** Publishes synthetic `medias` events through the real publisher, for the fan-out benchmark. */
@Injectable()
export class BenchPublishService {
  private sequence = 0;

  constructor(
    private readonly publisher: EventsPublisher,
    private readonly libraries: LibrariesService,
  ) {}

  async publish(principal: Principal, request: BenchPublishDto): Promise<BenchPublishResultDto> {
    const targets =
      request.libraries ?? (await this.libraries.list(principal)).map((library) => library.id);
    if (targets.length === 0) {
      throw new BadRequestException('There is no library to publish to: create one or name some');
    }
    const size = request.size ?? DEFAULT_EVENT_SIZE;
    const paddings = new Map(targets.map((library) => [library, paddingFor(size, library)]));
    for (let i = 0; i < request.count; i++) {
      const library = targets[i % targets.length];
      const message = benchMediasMessage(
        library,
        ++this.sequence,
        paddings.get(library) ?? '',
        wallClockMs(),
      );
      this.publisher.medias(library, message.medias);
    }
    return { published: request.count };
  }
}
