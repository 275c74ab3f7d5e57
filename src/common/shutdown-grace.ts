import { HttpStatus, Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { RetryLaterException } from './retry-later.exception.js';

/**
 * The drain of a stopping server (SIGTERM, SIGINT, or the application's `close()`). From its
 * start, the first of Nest's shutdown hooks, new uploads, conversions and backup runs are refused
 * (503 with `Retry-After`), while those in flight have until SHUTDOWN_GRACE_MS after that start
 * to finish; each service stops what has not finished by then and records it as failed. One
 * deadline for all of them: Nest runs the shutdown hooks of one module after another, and waits
 * counted from each would add up.
 */
@Injectable()
export class ShutdownGrace implements OnModuleDestroy {
  private readonly logger = new Logger('Reelay');
  private deadline?: number;
  private readonly retryAfterSeconds: number;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.retryAfterSeconds = Math.max(1, Math.ceil(config.sse.retryMs / 1000));
  }

  onModuleDestroy(): void {
    this.begin();
  }

  /** Starts the drain; the first call counts (each service's first shutdown hook may call it). */
  begin(): void {
    this.deadline ??= Date.now() + this.config.shutdownGraceMs;
  }

  get draining(): boolean {
    return this.deadline !== undefined;
  }

  /** Throws, once the drain began, a refusal of new work that says `message`. */
  refuseWhileDraining(message: string): void {
    if (this.draining) throw this.refusal(message);
  }

  /** A 503 that tells the client when to try again (SSE_RETRY_MS, as streams are told). */
  refusal(message: string): RetryLaterException {
    return new RetryLaterException(message, this.retryAfterSeconds, HttpStatus.SERVICE_UNAVAILABLE);
  }

  /**
   * Waits for the work in flight until the grace ends; true when all of it settled (either way)
   * in time. `kind` names it in the log (`uploads`).
   */
  async within(kind: string, work: readonly Promise<unknown>[]): Promise<boolean> {
    if (work.length === 0) return true;
    this.begin();
    const left = Math.max(0, (this.deadline as number) - Date.now());
    this.logger.log(
      `Stopping: waiting up to ${left} ms for what is in flight (${kind}: ${work.length})`,
    );
    let timer: NodeJS.Timeout | undefined;
    const graceEnds = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), left);
    });
    try {
      const finished = Promise.all(work.map((one) => one.then(settled, settled)));
      return await Promise.race([finished.then(settled), graceEnds]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const settled = (): true => true;
