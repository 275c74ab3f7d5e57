import { Injectable } from '@nestjs/common';
import type { Updateable } from 'kysely';
import { DatabaseService } from '../database/database.service.js';
import type { BackupArchivesTable, BackupsTable } from '../database/schema.js';

export type BackupRecord = BackupsTable;
export type ArchiveRecord = BackupArchivesTable;

@Injectable()
export class BackupsRepository {
  constructor(private readonly database: DatabaseService) {}

  private get db() {
    return this.database.db;
  }

  async insert(backup: BackupRecord): Promise<void> {
    await this.db.insertInto('backups').values(backup).execute();
  }

  find(id: string): Promise<BackupRecord | undefined> {
    return this.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Every backup, or those of the given libraries only. */
  list(libraryIds?: readonly string[]): Promise<BackupRecord[]> {
    return this.db
      .selectFrom('backups')
      .selectAll()
      .$if(libraryIds !== undefined, (query) => query.where('library_id', 'in', libraryIds ?? []))
      .orderBy('added')
      .orderBy('id')
      .execute();
  }

  listScheduled(): Promise<BackupRecord[]> {
    return this.db.selectFrom('backups').selectAll().where('schedule', 'is not', null).execute();
  }

  update(id: string, changes: Updateable<BackupsTable>): Promise<BackupRecord | undefined> {
    return this.db
      .updateTable('backups')
      .set(changes)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  /**
   * Marks a run as started unless one is in progress, in any process sharing the database:
   * the backup as it now stands, or undefined when it was running already (or is gone).
   */
  claimRun(id: string, changes: Updateable<BackupsTable>): Promise<BackupRecord | undefined> {
    return this.db
      .updateTable('backups')
      .set({ ...changes, status: 'inProgress' })
      .where('id', '=', id)
      .where('status', '<>', 'inProgress')
      .returningAll()
      .executeTakeFirst();
  }

  /** Deletes the backup and its archive records (not the archives' files). */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('backups').where('id', '=', id).execute();
  }

  async addArchive(archive: ArchiveRecord): Promise<void> {
    await this.db.insertInto('backup_archives').values(archive).execute();
  }

  /** The backup's archives, newest first. */
  listArchives(backupId: string): Promise<ArchiveRecord[]> {
    return this.db
      .selectFrom('backup_archives')
      .selectAll()
      .where('backup_id', '=', backupId)
      .orderBy('started', 'desc')
      .orderBy('path', 'desc')
      .execute();
  }

  async deleteArchive(backupId: string, path: string): Promise<void> {
    await this.db
      .deleteFrom('backup_archives')
      .where('backup_id', '=', backupId)
      .where('path', '=', path)
      .execute();
  }

  /** Runs left in progress by a process that stopped: they will not finish. */
  async failInterrupted(error: string, now: number): Promise<void> {
    await this.db
      .updateTable('backups')
      .set({ status: 'error', error, finished: now, updated: now })
      .where('status', '=', 'inProgress')
      .execute();
  }
}
