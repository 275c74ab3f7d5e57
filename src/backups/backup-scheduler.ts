import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { isDue, parseSchedule } from './backup-schedule.js';
import { BackupsRepository } from './backups.repository.js';
import { BackupsService } from './backups.service.js';

/** Twice a minute, so that no minute of a cron schedule goes by between two ticks. */
const TICK_MS = 30_000;

/** Starts the backups whose schedule says so; runs missed while the server was down are skipped. */
@Injectable()
export class BackupScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BackupScheduler.name);
  private timer?: NodeJS.Timeout;
  private previousTick = Date.now();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: BackupsRepository,
    private readonly backups: BackupsService,
  ) {}

  onApplicationBootstrap(): void {
    // One scheduler per deployment: in a cluster, the first worker's.
    if ((this.config.workerIndex ?? 0) !== 0) return;
    this.timer = setInterval(() => {
      // A database error here must not become an unhandled rejection: the next tick tries again.
      this.tick(new Date()).catch((error: unknown) => {
        this.logger.error(`The backup schedule could not be read: ${String(error)}`);
      });
    }, TICK_MS);
    this.timer.unref();
  }

  /** No run starts once the server begins to stop. */
  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Starts every scheduled backup that is due at `now`. */
  async tick(now: Date): Promise<void> {
    const previousTick = this.previousTick;
    this.previousTick = now.getTime();
    const scheduled = await this.repository.listScheduled();
    const due = scheduled.filter(
      (backup) =>
        backup.schedule !== null &&
        isDue(
          parseSchedule(backup.schedule),
          previousTick,
          backup.started ?? backup.added,
          now.getTime(),
        ),
    );
    await Promise.all(
      due.map((backup) =>
        this.backups.runScheduled(backup).catch((error: unknown) => {
          this.logger.warn(`Scheduled backup ${backup.id} did not start: ${String(error)}`);
        }),
      ),
    );
  }
}
