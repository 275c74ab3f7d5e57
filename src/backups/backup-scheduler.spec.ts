import { loadAppConfig } from '../config/app-config.js';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { BackupScheduler } from './backup-scheduler.js';
import type { BackupsRepository } from './backups.repository.js';
import type { BackupsService } from './backups.service.js';

describe('BackupScheduler', () => {
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('logs a schedule it cannot read and ticks again, leaving no unhandled rejection', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    let reads = 0;
    const repository = {
      listScheduled: () => {
        reads++;
        return Promise.reject(new Error('SQLITE_BUSY: database is locked'));
      },
    } as unknown as BackupsRepository;
    const scheduler = new BackupScheduler(loadAppConfig({}), repository, {} as BackupsService);
    try {
      scheduler.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(60_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(reads).toBe(2);
      expect(logged).toHaveBeenCalledTimes(2);
      expect(String(logged.mock.calls[0][0])).toContain('SQLITE_BUSY');
      expect(unhandled).toEqual([]);
    } finally {
      scheduler.onModuleDestroy();
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
