import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Injectable,
  type MessageEvent,
  Module,
  Post,
  Query,
  Sse,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { filter, map, type Observable, Subject } from 'rxjs';
import {
  type BenchEvent,
  listenPort,
  publishEvents,
  type PublishRequest,
  toPublishRequest,
} from './bench-events.js';

/** The textbook NestJS way: one shared Subject, and an `@Sse()` route that filters and maps it. */
@Injectable()
class EventBus {
  private readonly subject = new Subject<BenchEvent>();
  readonly events$ = this.subject.asObservable();
  private lastId = 0;
  private readonly nextId = () => ++this.lastId;

  publish(request: PublishRequest): number {
    publishEvents(request, this.nextId, (event) => this.subject.next(event));
    return request.count;
  }
}

@Controller()
class EventsController {
  constructor(private readonly bus: EventBus) {}

  @Sse('sse')
  stream(@Query('libraries') libraries?: string): Observable<MessageEvent> {
    const wanted = libraries ? new Set(libraries.split(',')) : null;
    return this.bus.events$.pipe(
      filter((event) => wanted === null || wanted.has(event.library)),
      map((event) => ({ type: 'medias', id: String(event.id), data: event.message })),
    );
  }

  @Post('bench/publish')
  @HttpCode(200)
  publish(@Body() body: unknown): { published: number } {
    return { published: this.bus.publish(toPublishRequest(body)) };
  }

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [EventsController], providers: [EventBus] })
class NestSseModule {}

const app = await NestFactory.create(NestSseModule, { logger: ['error', 'warn'] });
await app.listen(listenPort(), '127.0.0.1');
