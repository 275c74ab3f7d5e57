import { Injectable } from '@nestjs/common';
import type { Updateable } from 'kysely';
import type { GrantedRole } from '../access/roles.js';
import { DatabaseService } from '../database/database.service.js';
import type { LibrariesTable } from '../database/schema.js';

export type LibraryRecord = LibrariesTable;

@Injectable()
export class LibrariesRepository {
  constructor(private readonly database: DatabaseService) {}

  private get db() {
    return this.database.db;
  }

  async insert(library: LibraryRecord): Promise<void> {
    await this.db.insertInto('libraries').values(library).execute();
  }

  findById(id: string): Promise<LibraryRecord | undefined> {
    return this.db.selectFrom('libraries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<LibraryRecord[]> {
    return this.db
      .selectFrom('libraries')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async update(
    id: string,
    changes: Updateable<LibrariesTable>,
  ): Promise<LibraryRecord | undefined> {
    return this.db
      .updateTable('libraries')
      .set(changes)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('libraries').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async setRole(libraryId: string, userId: string, role: GrantedRole | 'none'): Promise<void> {
    if (role === 'none') {
      await this.db
        .deleteFrom('library_users')
        .where('library_id', '=', libraryId)
        .where('user_id', '=', userId)
        .execute();
      return;
    }
    await this.db
      .insertInto('library_users')
      .values({ library_id: libraryId, user_id: userId, role })
      .onConflict((conflict) => conflict.columns(['library_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }
}
