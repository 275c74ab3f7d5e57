import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { DatabaseService } from '../database/database.service.js';

/** The KeyObject tokens are signed and verified with (see AuthModule). */
export const SIGNING_KEY = Symbol('SIGNING_KEY');

const MIN_SECRET_LENGTH = 32;
const SECRET_NAME = 'jwt-secret';

function newSecret(): string {
  return randomBytes(48).toString('base64url');
}

/**
 * Where the secret tokens are signed with lives, so that tokens survive restarts: JWT_SECRET
 * when it is set, else one generated on first start and kept where every process that must
 * verify the tokens finds it. On SQLite that is a file in DATA_DIR (one machine holds the
 * database); on PostgreSQL it is the database itself, so that every machine of a deployment
 * accepts the tokens of the others without being configured for it.
 */
@Injectable()
export class SigningSecretRepository {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
  ) {}

  async load(): Promise<string> {
    if (this.config.jwtSecret) return this.config.jwtSecret;
    return this.database.engine === 'postgres' ? this.fromDatabase() : this.fromDataDir();
  }

  /** The first process to start writes it; the others, even at the same moment, read that one. */
  private async fromDatabase(): Promise<string> {
    await this.database.db
      .insertInto('server_secrets')
      .values({ name: SECRET_NAME, value: newSecret() })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .execute();
    const { value } = await this.database.db
      .selectFrom('server_secrets')
      .select('value')
      .where('name', '=', SECRET_NAME)
      .executeTakeFirstOrThrow();
    return value;
  }

  private async fromDataDir(): Promise<string> {
    const file = join(this.config.dataDir, SECRET_NAME);
    let secret: string;
    try {
      secret = (await readFile(file, 'utf8')).trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      secret = newSecret();
      await mkdir(this.config.dataDir, { recursive: true });
      await writeFile(file, secret, { mode: 0o600, flag: 'wx' });
    }
    // An empty or cut file (a crash while it was written) must not become a guessable key.
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`${file} holds no usable secret: delete it to generate a new one`);
    }
    return secret;
  }
}
