import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExpressAdapter } from '@nestjs/platform-express';
import {
  ConfigError,
  isTrustedProxyEntry,
  loadAppConfig,
  parseDurationSeconds,
} from './app-config.js';

const CWD = '/srv/reelay';

function configError(env: Record<string, string>): string {
  let thrown: unknown;
  try {
    loadAppConfig(env, CWD);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return (thrown as ConfigError).message;
}

describe('loadAppConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadAppConfig({}, CWD);
    expect(config.jwtSecret).toBeUndefined();
    expect(config.adminPassword).toBeUndefined();
    expect(config.ffmpegPath).toBeUndefined();
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: '/srv/reelay/data',
      jwtTtlSeconds: 3600,
      refreshTtlSeconds: 30 * 86400,
      refreshGraceMs: 10_000,
      adminUsername: 'admin',
      uploadMaxBytes: 10 * 1024 ** 3,
      backupDir: '/srv/reelay/data/backups',
      backups: { keep: 7, minIntervalSeconds: 3600, minFreeBytes: 1024 ** 3 },
      shutdownGraceMs: 8000,
      sse: {
        retryMs: 3000,
        drainJitterMs: 5000,
        keepaliveMs: 30_000,
        maxQueueEvents: 1024,
        maxQueueBytes: 1024 * 1024,
        historySize: 10_000,
        historyBytes: 64 * 1024 ** 2,
      },
      log: { level: 'info', format: 'auto' },
    });
  });

  it('treats an empty value as unset', () => {
    const config = loadAppConfig({ PORT: '', JWT_SECRET: '', ADMIN_PASSWORD: '' }, CWD);
    expect(config.port).toBe(3000);
    expect(config.jwtSecret).toBeUndefined();
    expect(config.adminPassword).toBeUndefined();
  });

  it('reads every variable', () => {
    const config = loadAppConfig(
      {
        PORT: '8080',
        HOST: '0.0.0.0',
        DATA_DIR: 'var/reelay',
        JWT_SECRET: 's'.repeat(32),
        JWT_TTL: '2h',
        REFRESH_TTL: '7d',
        REFRESH_GRACE_MS: '0',
        ADMIN_USERNAME: 'root.admin',
        ADMIN_PASSWORD: 'correct horse',
        UPLOAD_MAX_BYTES: '1048576',
        BACKUP_DIR: '/backups',
        BACKUP_KEEP: '3',
        BACKUP_MIN_INTERVAL: '15m',
        BACKUP_MIN_FREE: '512m',
        FFMPEG_PATH: '/usr/bin/ffmpeg',
        SHUTDOWN_GRACE_MS: '30000',
        SSE_RETRY_MS: '500',
        SSE_DRAIN_JITTER_MS: '0',
        SSE_KEEPALIVE_MS: '15000',
        SSE_MAX_QUEUE_EVENTS: '64',
        SSE_MAX_QUEUE_BYTES: '65536',
        SSE_HISTORY_SIZE: '0',
        SSE_HISTORY_BYTES: '1g',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
      },
      CWD,
    );
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/srv/reelay/var/reelay',
      jwtSecret: 's'.repeat(32),
      jwtTtlSeconds: 7200,
      refreshTtlSeconds: 7 * 86400,
      refreshGraceMs: 0,
      adminUsername: 'root.admin',
      adminPassword: 'correct horse',
      uploadMaxBytes: 1048576,
      backupDir: '/backups',
      backups: { keep: 3, minIntervalSeconds: 900, minFreeBytes: 512 * 1024 ** 2 },
      ffmpegPath: '/usr/bin/ffmpeg',
      shutdownGraceMs: 30_000,
      sse: {
        retryMs: 500,
        drainJitterMs: 0,
        keepaliveMs: 15000,
        maxQueueEvents: 64,
        maxQueueBytes: 65536,
        historySize: 0,
        historyBytes: 1024 ** 3,
      },
      log: { level: 'debug', format: 'json' },
    });
  });

  it('refuses a LOG_LEVEL or LOG_FORMAT it does not know, naming both', () => {
    const message = configError({ LOG_LEVEL: 'loud', LOG_FORMAT: 'JSON' });
    expect(message).toContain('LOG_LEVEL must be one of error, warn, info, debug (got "loud")');
    expect(message).toContain('LOG_FORMAT must be one of auto, json, pretty (got "JSON")');
  });

  it('refuses a grace or a drain window that is negative, fractional or over an hour', () => {
    for (const value of ['-1', '1.5', 'soon', '3600001']) {
      expect(configError({ SHUTDOWN_GRACE_MS: value })).toContain(
        `SHUTDOWN_GRACE_MS must be a whole number from 0 to 3600000 (got "${value}")`,
      );
      expect(configError({ SSE_DRAIN_JITTER_MS: value })).toContain(
        `SSE_DRAIN_JITTER_MS must be a whole number from 0 to 3600000 (got "${value}")`,
      );
    }
  });

  it('puts BACKUP_DIR under DATA_DIR unless it is given', () => {
    expect(loadAppConfig({ DATA_DIR: '/var/lib/reelay' }, CWD).backupDir).toBe(
      '/var/lib/reelay/backups',
    );
    expect(loadAppConfig({ BACKUP_DIR: 'saved' }, CWD).backupDir).toBe('/srv/reelay/saved');
  });

  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['30m', 1800],
    ['1h', 3600],
    ['7d', 604800],
    [' 45 ', 45],
    ['365d', 365 * 86400],
  ])('reads JWT_TTL=%p as %p seconds', (value, seconds) => {
    expect(loadAppConfig({ JWT_TTL: value }, CWD).jwtTtlSeconds).toBe(seconds);
  });

  it.each(['0', '0h', '-5', '1.5h', 'h', '10w', 'one hour', '366d', '1e3'])(
    'refuses JWT_TTL=%p',
    (value) => {
      expect(configError({ JWT_TTL: value })).toContain(
        `JWT_TTL must be a positive duration such as 3600, 30m, 1h or 7d, at most 365d (got "${value}")`,
      );
    },
  );

  it('reads REFRESH_TTL as JWT_TTL is read, and refuses a bad one or a grace over a minute', () => {
    expect(loadAppConfig({ REFRESH_TTL: '12h' }, CWD).refreshTtlSeconds).toBe(12 * 3600);
    expect(configError({ REFRESH_TTL: '0d' })).toContain(
      'REFRESH_TTL must be a positive duration such as 3600, 30m, 1h or 7d, at most 365d (got "0d")',
    );
    expect(configError({ REFRESH_GRACE_MS: '60001' })).toContain(
      'REFRESH_GRACE_MS must be a whole number from 0 to 60000 (got "60001")',
    );
  });

  it.each([
    ['0', 0],
    ['4096', 4096],
    ['512k', 512 * 1024],
    ['512KiB', 512 * 1024],
    ['10 MB', 10 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['2T', 2 * 1024 ** 4],
  ])('reads BACKUP_MIN_FREE=%p as %p bytes', (value, bytes) => {
    expect(loadAppConfig({ BACKUP_MIN_FREE: value }, CWD).backups.minFreeBytes).toBe(bytes);
  });

  it.each(['-1', '1.5g', 'lots', '1p', '99999999T'])('refuses BACKUP_MIN_FREE=%p', (value) => {
    expect(configError({ BACKUP_MIN_FREE: value })).toContain(
      `BACKUP_MIN_FREE must be a size such as 1073741824, 512m or 1g (got "${value}")`,
    );
  });

  it('reads the event bus and the cluster settings', () => {
    expect(loadAppConfig({}, CWD)).toMatchObject({
      eventBus: 'local',
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'reelay' },
      workers: 1,
    });
    expect(loadAppConfig({}, CWD).workerIndex).toBeUndefined();
    const clustered = loadAppConfig(
      {
        EVENT_BUS: 'redis',
        REDIS_URL: 'redis://cache:6380/2',
        REDIS_PREFIX: 'media',
        WORKERS: '4',
        REELAY_WORKER_INDEX: '2',
      },
      CWD,
    );
    expect(clustered).toMatchObject({
      eventBus: 'redis',
      redis: { url: 'redis://cache:6380/2', prefix: 'media' },
      workers: 4,
      workerIndex: 2,
    });
    expect(loadAppConfig({ EVENT_BUS: 'redis', WORKERS: 'auto' }, CWD).workers).toBeGreaterThan(0);
  });

  it('keeps SQLite unless DATABASE_URL names a PostgreSQL database, and never echoes the URL', () => {
    expect(loadAppConfig({}, CWD).database).toEqual({ engine: 'sqlite' });
    expect(
      loadAppConfig(
        { DATABASE_URL: 'postgres://reelay:pw@db:5432/media', DATABASE_POOL_SIZE: '25' },
        CWD,
      ).database,
    ).toEqual({ engine: 'postgres', url: 'postgres://reelay:pw@db:5432/media', poolSize: 25 });
    expect(
      loadAppConfig({ DATABASE_URL: 'postgresql://127.0.0.1/test' }, CWD).database,
    ).toMatchObject({ engine: 'postgres', poolSize: 10 });
    for (const url of ['mysql://root:secret-pw@db/media', 'postgres://', 'secret-pw']) {
      const message = configError({ DATABASE_URL: url });
      expect(message).toContain('DATABASE_URL must be a postgres:// or postgresql:// URL');
      expect(message).not.toContain('secret-pw');
    }
    expect(configError({ DATABASE_POOL_SIZE: '0' })).toContain(
      'DATABASE_POOL_SIZE must be a whole number from 1 to 1000',
    );
  });

  it('refuses more than one worker without the Redis bus', () => {
    expect(configError({ WORKERS: '2' })).toContain(
      'WORKERS=2 needs EVENT_BUS=redis: every process must deliver the events of all of them',
    );
    expect(configError({ EVENT_BUS: 'kafka' })).toContain('EVENT_BUS must be one of local, redis');
  });

  it('reads CORS_ORIGINS as a list of web origins, none by default', () => {
    expect(loadAppConfig({}).corsOrigins).toEqual([]);
    expect(
      loadAppConfig({
        CORS_ORIGINS:
          ' https://photos.example.com, http://localhost:5173 https://photos.example.com',
      }).corsOrigins,
    ).toEqual(['https://photos.example.com', 'http://localhost:5173']);
  });

  it('reads TRUSTED_PROXIES as a list of addresses, ranges and range names, none by default', () => {
    expect(loadAppConfig({}).trustedProxies).toEqual([]);
    expect(
      loadAppConfig({ TRUSTED_PROXIES: ' 10.0.0.0/8, fd00::/8 loopback,127.0.0.1 10.0.0.0/8' })
        .trustedProxies,
    ).toEqual(['10.0.0.0/8', 'fd00::/8', 'loopback', '127.0.0.1']);
    expect(configError({ TRUSTED_PROXIES: '10.0.0.1, proxy.example.com, 0.0.0.0/0' })).toContain(
      'TRUSTED_PROXIES must list IP addresses, CIDR ranges such as 10.0.0.0/8, or loopback, linklocal, uniquelocal (got "proxy.example.com", "0.0.0.0/0")',
    );
  });

  it("finds the dashboard's build in the checkout the code runs from, or where DASHBOARD_DIR says", () => {
    const checkout = fileURLToPath(new URL('../..', import.meta.url));
    expect(loadAppConfig({}, CWD).dashboardDir).toBe(
      join(checkout, 'packages', 'dashboard', 'dist'),
    );
    expect(loadAppConfig({ DASHBOARD_DIR: 'web' }, CWD).dashboardDir).toBe('/srv/reelay/web');
    expect(loadAppConfig({ DASHBOARD_DIR: '/opt/dashboard' }, CWD).dashboardDir).toBe(
      '/opt/dashboard',
    );
  });

  it.each([
    '*',
    'https://photos.example.com/',
    'https://photos.example.com/app',
    'photos.example.com',
    'ftp://files.example.com',
  ])('refuses %j in CORS_ORIGINS', (origin) => {
    expect(configError({ CORS_ORIGINS: `http://localhost:5173,${origin}` })).toContain(
      `CORS_ORIGINS must list origins such as https://photos.example.com or http://localhost:5173, without path or "*" (got "${origin}")`,
    );
  });

  it('lists every bad value in one message', () => {
    const message = configError({
      PORT: 'abc',
      JWT_TTL: 'soon',
      JWT_SECRET: 'short',
      ADMIN_USERNAME: 'bad name',
      ADMIN_PASSWORD: 'short',
      UPLOAD_MAX_BYTES: '0',
      SSE_KEEPALIVE_MS: '5',
      SSE_HISTORY_BYTES: 'lots',
    });
    expect(message.split('\n')).toEqual([
      'Invalid configuration:',
      '  - JWT_SECRET must be at least 32 characters long',
      '  - ADMIN_USERNAME may hold 1 to 64 letters, digits, ".", "_" or "-"',
      '  - ADMIN_PASSWORD must be 8 to 256 characters long',
      '  - PORT must be a whole number from 0 to 65535 (got "abc")',
      '  - JWT_TTL must be a positive duration such as 3600, 30m, 1h or 7d, at most 365d (got "soon")',
      `  - UPLOAD_MAX_BYTES must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER} (got "0")`,
      '  - SSE_KEEPALIVE_MS must be a whole number from 10 to 3600000 (got "5")',
      '  - SSE_HISTORY_BYTES must be a size such as 1073741824, 512m or 1g (got "lots")',
    ]);
  });

  it.each(['65536', '-1', '80.5', '0x50', '1e3', 'abc'])('refuses PORT=%p', (value) => {
    expect(configError({ PORT: value })).toContain(
      `PORT must be a whole number from 0 to 65535 (got "${value}")`,
    );
  });

  it('accepts PORT=0 (any free port) and spaces around a number', () => {
    expect(loadAppConfig({ PORT: '0' }, CWD).port).toBe(0);
    expect(loadAppConfig({ PORT: ' 8080 ' }, CWD).port).toBe(8080);
  });

  it('refuses an admin password longer than login accepts', () => {
    expect(configError({ ADMIN_PASSWORD: 'x'.repeat(257) })).toContain(
      'ADMIN_PASSWORD must be 8 to 256 characters long',
    );
    expect(loadAppConfig({ ADMIN_PASSWORD: 'x'.repeat(256) }, CWD).adminPassword).toHaveLength(256);
  });
});

describe('isTrustedProxyEntry', () => {
  const accepted = [
    '127.0.0.1',
    '10.0.0.0/8',
    '192.168.1.7/32',
    '::1',
    'fd00::/8',
    '2001:db8::/128',
    '::ffff:10.1.2.3',
    'loopback',
    'linklocal',
    'uniquelocal',
  ];

  it('accepts addresses, CIDR ranges and the range names', () => {
    expect(accepted.filter((entry) => !isTrustedProxyEntry(entry))).toEqual([]);
  });

  it("accepts only what Express's trust proxy setting takes", () => {
    // Express compiles the setting at once, and throws on anything it cannot read.
    expect(() => new ExpressAdapter().set('trust proxy', accepted)).not.toThrow();
  });

  it('refuses names, every-address ranges, bad prefixes and keywords Express does not know', () => {
    const refused = [
      '',
      'localhost',
      'proxy.example.com',
      '0.0.0.0/0',
      '::/0',
      '10.0.0.0/33',
      '::1/129',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      '10.0.0.0/255.0.0.0',
      '10.0.0',
      '010.0.0.1',
      'true',
      '*',
      'Loopback',
    ];
    expect(refused.filter((entry) => isTrustedProxyEntry(entry))).toEqual([]);
  });
});

describe('parseDurationSeconds', () => {
  it('reads a bare number as seconds and each unit', () => {
    expect(parseDurationSeconds('15')).toBe(15);
    expect(parseDurationSeconds('15s')).toBe(15);
    expect(parseDurationSeconds('15m')).toBe(900);
    expect(parseDurationSeconds('15h')).toBe(54000);
    expect(parseDurationSeconds('15d')).toBe(1296000);
  });

  it('gives undefined for zero and for what is not a duration', () => {
    expect(parseDurationSeconds('0')).toBeUndefined();
    expect(parseDurationSeconds('')).toBeUndefined();
    expect(parseDurationSeconds('m')).toBeUndefined();
    expect(parseDurationSeconds('1H')).toBeUndefined();
  });
});
