import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { GrantedRole, ServerRole } from './roles.js';

export interface AccountRow {
  id: string;
  username: string;
  role: ServerRole;
}

/** A session that was ended (logout, revocation), and when. */
export interface EndedSessionRow {
  sessionId: string;
  userId: string;
  revokedAt: number;
}

export interface GrantRow {
  libraryId: string;
  userId: string;
  role: GrantedRole;
}

/**
 * Reads who exists, who holds which library role and which sessions ended lately, to build the
 * live access state.
 */
@Injectable()
export class AccessRepository {
  constructor(private readonly database: DatabaseService) {}

  listAccounts(): Promise<AccountRow[]> {
    return this.database.db.selectFrom('users').select(['id', 'username', 'role']).execute();
  }

  listGrants(): Promise<GrantRow[]> {
    return this.database.db
      .selectFrom('library_users')
      .select(['library_id as libraryId', 'user_id as userId', 'role'])
      .execute();
  }

  /** Sessions ended after `since` (epoch ms): access tokens issued under them may still live. */
  listSessionsEndedSince(since: number): Promise<EndedSessionRow[]> {
    return this.database.db
      .selectFrom('sessions')
      .select(['id as sessionId', 'user_id as userId', 'revoked_at as revokedAt'])
      .where('revoked_at', '>', since)
      .$narrowType<{ revokedAt: number }>()
      .execute();
  }
}
