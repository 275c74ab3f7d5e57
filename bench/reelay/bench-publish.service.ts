import { BadRequestException, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Principal } from '../../src/access/principal.js';
import { EventsPublisher } from '../../src/events/events.publisher.js';
import { LibrariesService } from '../../src/libraries/libraries.service.js';
import { benchMediasMessage, paddingFor, wallClockMs } from './bench-payload.js';
import {
  type BenchPublishDto,
  type BenchPublishResultDto,
  MAX_BENCH_SCHEDULE_MS,
} from './bench-publish.dto.js';

const DEFAULT_EVENT_SIZE = 512;

/** Publishes synthetic `medias` events through the real publisher, for the fan-out benchmark. */
@Injectable()
export class BenchPublishService implements OnModuleDestroy {
  private sequence = 0;
  private readonly schedules = new Set<NodeJS.Timeout>();

  constructor(
    private readonly publisher: EventsPublisher,
    private readonly libraries: LibrariesService,
  ) {}

  onModuleDestroy(): void {
    for (const timer of this.schedules) clearTimeout(timer);
    this.schedules.clear();
  }

  /**
   * Publishes `count` events, event i in `libraries[i % length]`: all at once, or one every
   * `intervalMs` (then the answer comes as soon as the schedule starts). Each event carries
   * the time it was published, for the receiver to measure the latency.
   */
  async publish(principal: Principal, request: BenchPublishDto): Promise<BenchPublishResultDto> {
    const targets =
      request.libraries ?? (await this.libraries.list(principal)).map((library) => library.id);
    if (targets.length === 0) {
      throw new BadRequestException('There is no library to publish to: create one or name some');
    }
    const size = request.size ?? DEFAULT_EVENT_SIZE;
    const paddings = new Map(targets.map((library) => [library, paddingFor(size, library)]));
    const publishOne = (index: number) => {
      const library = targets[index % targets.length];
      const padding = paddings.get(library) ?? '';
      const message = benchMediasMessage(library, ++this.sequence, padding, wallClockMs());
      this.publisher.medias(library, message.medias);
    };
    if (request.intervalMs === undefined) {
      for (let i = 0; i < request.count; i++) publishOne(i);
    } else {
      this.schedule(request.count, request.intervalMs, publishOne);
    }
    return { published: request.count };
  }

  /** One event every `intervalMs`, against the clock, so that a late timer does not drift. */
  private schedule(count: number, intervalMs: number, publishOne: (index: number) => void): void {
    if (count * intervalMs > MAX_BENCH_SCHEDULE_MS) {
      throw new BadRequestException(
        `count x intervalMs may span at most ${MAX_BENCH_SCHEDULE_MS / 60_000} minutes`,
      );
    }
    const start = performance.now();
    const next = (index: number) => {
      const timer = setTimeout(
        () => {
          this.schedules.delete(timer);
          publishOne(index);
          if (index + 1 < count) next(index + 1);
        },
        Math.max(0, start + index * intervalMs - performance.now()),
      );
      this.schedules.add(timer);
    };
    next(0);
  }
}
