import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { GrantedRole, ServerRole } from './roles.js';

export interface AccountRow {
  id: string;
  username: string;
  role: ServerRole;
}

export interface GrantRow {
  libraryId: string;
  userId: string;
  role: GrantedRole;
}

/** Reads who exists and who holds which library role, to build the live access state. */
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
}
