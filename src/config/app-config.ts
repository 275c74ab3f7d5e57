import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_DRAIN_JITTER_MS,
  DEFAULT_FLUSH_WINDOW_MS,
  type EventsModuleOptions,
  type StreamSettings,
} from '../events/events.options.js';
import { LOG_FORMATS, LOG_THRESHOLDS, type LogSettings } from '../logging/log-settings.js';

/** The stream settings of the events module, from SSE_* variables. */
export type SseConfig = StreamSettings;

export interface BackupLimits {
  /** Archives kept per backup unless the backup asks for fewer; a library admin may not ask for more. */
  keep: number;
  /** The shortest gap between two scheduled runs a library admin may set (server admins may go lower). */
  minIntervalSeconds: number;
  /** Free space a run must leave on the backup disk; a run that would eat into it fails first. */
  minFreeBytes: number;
}

/**
 * Where the application's rows live: the embedded default, a SQLite file under `dataDir`, or a
 * PostgreSQL database that several machines can share.
 */
export type DatabaseConfig =
  { engine: 'sqlite' } | { engine: 'postgres'; url: string; poolSize: number };

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  /** Unset means: generate one on first start and keep it under `dataDir`. */
  jwtSecret?: string;
  jwtTtlSeconds: number;
  /** How long a session lives without a refresh; each refresh starts it again. */
  refreshTtlSeconds: number;
  /**
   * How long after a refresh the refresh cookie it replaced still gets an access token (two tabs
   * refreshing at once) rather than ending the session as a stolen one.
   */
  refreshGraceMs: number;
  adminUsername: string;
  adminPassword?: string;
  uploadMaxBytes: number;
  backupDir: string;
  backups: BackupLimits;
  ffmpegPath?: string;
  /** How many conversions run at once; the others wait in line. */
  convertConcurrency: number;
  /**
   * How long, from SIGTERM or SIGINT, the uploads, conversions and backups in flight have to
   * finish; those that have not are stopped then and recorded as failed.
   */
  shutdownGraceMs: number;
  sse: SseConfig;
  /**
   * `local`: this process numbers events and keeps them in its database; `redis`: every process
   * appends to and reads from one Redis Stream.
   */
  eventBus: 'local' | 'redis';
  redis: { url: string; prefix: string };
  /** Processes serving the port (node:cluster); above 1 needs the Redis bus. */
  workers: number;
  /**
   * This worker's place among them, from 0, set by the cluster's primary in each worker it
   * starts (REELAY_WORKER_INDEX); undefined in a single process and in the primary.
   */
  workerIndex?: number;
  /** Streams one user may hold open at once, SSE and Socket.IO together. */
  streamsPerUser: number;
  /** Web origins whose pages may call the API and open the streams with credentials. */
  corsOrigins: readonly string[];
  /** The built web dashboard (its index.html and assets/), served at `/`. */
  dashboardDir: string;
  /** A bearer token that may read `GET /metrics` besides server admins. */
  metricsToken?: string;
  /** A port of its own for `GET /metrics` without credentials (a private network's scraper). */
  metricsPort?: number;
  metricsHost: string;
  /**
   * The reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed: addresses,
   * CIDR ranges or Express's names for ranges (`loopback`, `linklocal`, `uniquelocal`). Empty:
   * those headers are ignored, and the client is the socket's peer.
   */
  trustedProxies: readonly string[];
  /** What the process logs (LOG_LEVEL) and how (LOG_FORMAT). */
  log: LogSettings;
}

/** The most archives any backup keeps, whoever asks. */
export const MAX_BACKUP_KEEP = 1000;

export type Environment = Record<string, string | undefined>;

export class ConfigError extends Error {}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/** Bytes, or a whole number of KiB, MiB, GiB or TiB written `512k`, `1g`, `2T` (case-insensitive). */
export function parseSizeBytes(value: string): number | undefined {
  const match = /^(\d+)\s*([kmgt]?)(?:i?b)?$/i.exec(value.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()];
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export function parseDurationSeconds(value: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * DURATION_UNITS[match[2] || 's'];
  return seconds > 0 ? seconds : undefined;
}

class EnvReader {
  readonly errors: string[] = [];

  constructor(private readonly env: Environment) {}

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
      this.errors.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  duration(name: string, fallbackSeconds: number, maxDays: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallbackSeconds;
    const seconds = parseDurationSeconds(raw);
    if (seconds === undefined || seconds > maxDays * DURATION_UNITS.d) {
      this.errors.push(
        `${name} must be a positive duration such as 3600, 30m, 1h or 7d, at most ${maxDays}d (got "${raw}")`,
      );
      return fallbackSeconds;
    }
    return seconds;
  }

  size(name: string, fallbackBytes: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallbackBytes;
    const bytes = parseSizeBytes(raw);
    if (bytes === undefined) {
      this.errors.push(`${name} must be a size such as 1073741824, 512m or 1g (got "${raw}")`);
      return fallbackBytes;
    }
    return bytes;
  }

  /** A whole number from 1 to `max`, or `auto` for the number of cores. */
  count(name: string, fallback: number, max: number): number {
    if (this.string(name) === 'auto') return Math.min(availableParallelism(), max);
    return this.integer(name, fallback, 1, max);
  }

  choice<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.errors.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  }

  /**
   * A list of web origins (`scheme://host[:port]`), comma- or space-separated. `*` is refused:
   * credentials (the token cookie) are never shared with every origin.
   */
  origins(name: string): string[] {
    const raw = this.string(name);
    if (raw === undefined) return [];
    const origins = raw.split(/[\s,]+/).filter((part) => part !== '');
    const invalid = origins.filter((origin) => !isWebOrigin(origin));
    if (invalid.length > 0) {
      this.errors.push(
        `${name} must list origins such as https://photos.example.com or http://localhost:5173, without path or "*" (got "${invalid.join('", "')}")`,
      );
      return [];
    }
    return [...new Set(origins)];
  }

  /** Trusted proxies (isTrustedProxyEntry), comma- or space-separated; none by default. */
  proxies(name: string): string[] {
    const raw = this.string(name);
    if (raw === undefined) return [];
    const entries = raw.split(/[\s,]+/).filter((part) => part !== '');
    const invalid = entries.filter((entry) => !isTrustedProxyEntry(entry));
    if (invalid.length > 0) {
      this.errors.push(
        `${name} must list IP addresses, CIDR ranges such as 10.0.0.0/8, or loopback, linklocal, uniquelocal (got "${invalid.join('", "')}")`,
      );
      return [];
    }
    return [...new Set(entries)];
  }

  path(name: string, fallback: string, base: string): string {
    const raw = this.string(name, fallback);
    return isAbsolute(raw) ? raw : resolve(base, raw);
  }
}

/** Express's names for address ranges (its `trust proxy` setting). */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * An IP address, a CIDR range (`10.0.0.0/8`, `fd00::/8`) or a named range, as Express's
 * `trust proxy` takes them. A prefix of 0 (every address) is refused: a proxy trusted that
 * widely lets any client pick its own address.
 */
export function isTrustedProxyEntry(value: string): boolean {
  if (PROXY_RANGE_NAMES.has(value)) return true;
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(value);
  if (!match) return false;
  const version = isIP(match[1]);
  if (version === 0) return false;
  if (match[2] === undefined) return true;
  const prefix = Number(match[2]);
  return prefix >= 1 && prefix <= (version === 4 ? 32 : 128);
}

/** `http(s)://host[:port]` exactly as a browser sends it in `Origin`: no path, no trailing slash. */
function isWebOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * The dashboard's build in the checkout this code runs from: tests run it from `src/`, `npm start`
 * from `dist/src/`, so the folder that holds `packages/dashboard` is found by walking up. Code
 * copied elsewhere finds none, and looks under the working directory.
 */
function defaultDashboardDir(cwd: string): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(folder, 'packages', 'dashboard', 'package.json'))) {
      return join(folder, 'packages', 'dashboard', 'dist');
    }
    const parent = dirname(folder);
    if (parent === folder) return resolve(cwd, 'packages', 'dashboard', 'dist');
    folder = parent;
  }
}

/** Never echoed: a database URL may hold a password. */
function readDatabase(read: EnvReader): DatabaseConfig {
  const poolSize = read.integer('DATABASE_POOL_SIZE', 10, 1, 1000);
  const url = read.string('DATABASE_URL');
  if (url === undefined) return { engine: 'sqlite' };
  if (!isPostgresUrl(url)) {
    read.errors.push(
      'DATABASE_URL must be a postgres:// or postgresql:// URL (unset: SQLite under DATA_DIR)',
    );
  }
  return { engine: 'postgres', url, poolSize };
}

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.host !== '';
  } catch {
    return false;
  }
}

/** Reads and validates the environment; throws one ConfigError that lists every bad value. */
export function loadAppConfig(env: Environment, cwd = process.cwd()): AppConfig {
  const read = new EnvReader(env);
  const dataDir = read.path('DATA_DIR', './data', cwd);
  const jwtSecret = read.string('JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    read.errors.push('JWT_SECRET must be at least 32 characters long');
  }
  const adminUsername = read.string('ADMIN_USERNAME', 'admin');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(adminUsername)) {
    read.errors.push('ADMIN_USERNAME may hold 1 to 64 letters, digits, ".", "_" or "-"');
  }
  const metricsToken = read.string('METRICS_TOKEN');
  if (metricsToken !== undefined && !/^[\x21-\x7e]{32,512}$/.test(metricsToken)) {
    read.errors.push(
      'METRICS_TOKEN must be 32 to 512 printable characters without spaces (openssl rand -hex 32 makes one)',
    );
  }
  const adminPassword = read.string('ADMIN_PASSWORD');
  if (adminPassword !== undefined && (adminPassword.length < 8 || adminPassword.length > 256)) {
    read.errors.push('ADMIN_PASSWORD must be 8 to 256 characters long');
  }
  const host = read.string('HOST', '127.0.0.1');
  const config: AppConfig = {
    port: read.integer('PORT', 3000, 0, 65535),
    host,
    dataDir,
    database: readDatabase(read),
    jwtSecret,
    jwtTtlSeconds: read.duration('JWT_TTL', 3600, 365),
    refreshTtlSeconds: read.duration('REFRESH_TTL', 30 * 86400, 365),
    refreshGraceMs: read.integer('REFRESH_GRACE_MS', 10_000, 0, 60_000),
    adminUsername,
    adminPassword,
    uploadMaxBytes: read.integer('UPLOAD_MAX_BYTES', 10 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    backupDir: read.path('BACKUP_DIR', resolve(dataDir, 'backups'), cwd),
    backups: {
      keep: read.integer('BACKUP_KEEP', 7, 1, MAX_BACKUP_KEEP),
      minIntervalSeconds: read.duration('BACKUP_MIN_INTERVAL', 3600, 365),
      minFreeBytes: read.size('BACKUP_MIN_FREE', 1024 ** 3),
    },
    ffmpegPath: read.string('FFMPEG_PATH'),
    convertConcurrency: read.integer('CONVERT_CONCURRENCY', 1, 1, 64),
    shutdownGraceMs: read.integer('SHUTDOWN_GRACE_MS', 8000, 0, 3_600_000),
    sse: {
      retryMs: read.integer('SSE_RETRY_MS', 3000, 0, 3_600_000),
      drainJitterMs: read.integer('SSE_DRAIN_JITTER_MS', DEFAULT_DRAIN_JITTER_MS, 0, 3_600_000),
      keepaliveMs: read.integer('SSE_KEEPALIVE_MS', 30_000, 10, 3_600_000),
      flushWindowMs: read.integer('SSE_FLUSH_WINDOW_MS', DEFAULT_FLUSH_WINDOW_MS, 0, 1000),
      maxQueueEvents: read.integer('SSE_MAX_QUEUE_EVENTS', 1024, 1, 1_000_000),
      maxQueueBytes: read.integer('SSE_MAX_QUEUE_BYTES', 1024 * 1024, 1024, 1024 ** 3),
      historySize: read.integer('SSE_HISTORY_SIZE', 10_000, 0, 10_000_000),
      historyBytes: read.size('SSE_HISTORY_BYTES', 64 * 1024 ** 2),
      handover: read.choice('SSE_HANDOVER', 'auto', ['auto', 'off'] as const),
    },
    eventBus: read.choice('EVENT_BUS', 'local', ['local', 'redis'] as const),
    redis: {
      url: read.string('REDIS_URL', 'redis://127.0.0.1:6379'),
      prefix: read.string('REDIS_PREFIX', 'reelay'),
    },
    workers: read.count('WORKERS', 1, 64),
    workerIndex:
      read.string('REELAY_WORKER_INDEX') === undefined
        ? undefined
        : read.integer('REELAY_WORKER_INDEX', 0, 0, 63),
    streamsPerUser: read.integer('STREAMS_PER_USER', 32, 1, 100_000),
    corsOrigins: read.origins('CORS_ORIGINS'),
    dashboardDir: read.path('DASHBOARD_DIR', defaultDashboardDir(cwd), cwd),
    metricsToken,
    metricsHost: read.string('METRICS_HOST', host),
    metricsPort:
      read.string('METRICS_PORT') === undefined
        ? undefined
        : read.integer('METRICS_PORT', 0, 0, 65535),
    trustedProxies: read.proxies('TRUSTED_PROXIES'),
    log: {
      level: read.choice('LOG_LEVEL', 'info', LOG_THRESHOLDS),
      format: read.choice('LOG_FORMAT', 'auto', LOG_FORMATS),
    },
  };
  if (config.workers > 1 && config.eventBus !== 'redis') {
    read.errors.push(
      `WORKERS=${config.workers} needs EVENT_BUS=redis: every process must deliver the events of all of them`,
    );
  }
  if (read.errors.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  - ${read.errors.join('\n  - ')}`);
  }
  return config;
}

/** The events module's options as Reelay's own application sets them, from its environment. */
export function eventsOptionsOf(config: AppConfig): EventsModuleOptions {
  return {
    sse: config.sse,
    streamsPerUser: config.streamsPerUser,
    bus:
      config.eventBus === 'redis'
        ? { kind: 'redis', url: config.redis.url, prefix: config.redis.prefix }
        : { kind: 'local' },
    workerIndex: config.workerIndex,
    corsOrigins: config.corsOrigins,
  };
}
