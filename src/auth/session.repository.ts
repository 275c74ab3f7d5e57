import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { SessionsTable } from '../database/schema.js';
import type { RefreshableSession } from './refresh-token.js';

/** A session as the service reads it (times in epoch ms). */
export interface StoredSession extends RefreshableSession {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  userAgent: string;
}

const SESSION_COLUMNS = [
  'id',
  'user_id as userId',
  'secret_hash as secretHash',
  'previous_hash as previousHash',
  'rotated_at as rotatedAt',
  'created_at as createdAt',
  'last_used_at as lastUsedAt',
  'expires_at as expiresAt',
  'revoked_at as revokedAt',
  'user_agent as userAgent',
] as const;

/**
 * Login sessions in the database, where every process of a deployment renews and revokes them.
 * Changes that race (two refreshes at once, on any processes) are decided by the statement's
 * condition, never by a read before it.
 */
@Injectable()
export class SessionRepository {
  constructor(private readonly database: DatabaseService) {}

  async insert(session: SessionsTable): Promise<void> {
    await this.database.db.insertInto('sessions').values(session).execute();
  }

  find(id: string): Promise<StoredSession | undefined> {
    return this.database.db
      .selectFrom('sessions')
      .select(SESSION_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The user's sessions that are neither expired nor revoked, the last used first. */
  listLive(userId: string, now: number): Promise<StoredSession[]> {
    return this.database.db
      .selectFrom('sessions')
      .select(SESSION_COLUMNS)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('last_used_at', 'desc')
      .orderBy('id')
      .execute();
  }

  /**
   * Replaces the secret whose hash is `currentHash`, which becomes the previous one; false when
   * it is no longer the current one (another refresh rotated it a moment ago) or the session
   * was revoked meanwhile.
   */
  async rotate(
    id: string,
    currentHash: string,
    nextHash: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    const { numUpdatedRows } = await this.database.db
      .updateTable('sessions')
      .set({
        secret_hash: nextHash,
        previous_hash: currentHash,
        rotated_at: now,
        last_used_at: now,
        expires_at: expiresAt,
      })
      .where('id', '=', id)
      .where('secret_hash', '=', currentHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return numUpdatedRows > 0n;
  }

  /** Notes a use and moves the expiry; false when the session was revoked meanwhile. */
  async touch(id: string, now: number, expiresAt: number): Promise<boolean> {
    const { numUpdatedRows } = await this.database.db
      .updateTable('sessions')
      .set({ last_used_at: now, expires_at: expiresAt })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return numUpdatedRows > 0n;
  }

  /**
   * Revokes the session unless it was already; with `owner`, only a live session of that user.
   * Returns the session's user when this call revoked it.
   */
  async revoke(id: string, now: number, owner?: string): Promise<string | undefined> {
    let query = this.database.db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null);
    if (owner !== undefined) {
      query = query.where('user_id', '=', owner).where('expires_at', '>', now);
    }
    const row = await query.returning('user_id').executeTakeFirst();
    return row?.user_id;
  }

  /**
   * Deletes the sessions that ended (revoked, or expired) before `endedBefore`: once no access
   * token issued under them can still be valid, nothing needs them any more.
   */
  async deleteEndedBefore(endedBefore: number): Promise<void> {
    await this.database.db
      .deleteFrom('sessions')
      .where((eb) => eb(eb.fn.coalesce('revoked_at', 'expires_at'), '<', endedBefore))
      .execute();
  }
}
