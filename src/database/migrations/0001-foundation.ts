import { type Kysely, sql } from 'kysely';
import { columnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const { int64 } = columnTypes(db);
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('username', 'text', (col) => col.notNull().unique())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.notNull().check(sql`role in ('admin', 'user')`))
    .addColumn('created_at', int64, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('libraries')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('root', 'text')
    .addColumn('settings', 'text', (col) => col.notNull().defaultTo('{}'))
    .addColumn('credentials', 'text')
    .addColumn('created_at', int64, (col) => col.notNull())
    .addColumn('updated_at', int64, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('library_users')
    .addColumn('library_id', 'text', (col) =>
      col.notNull().references('libraries.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (col) =>
      col.notNull().check(sql`role in ('read', 'write', 'admin')`),
    )
    .addPrimaryKeyConstraint('library_users_pk', ['library_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex('library_users_user_idx')
    .on('library_users')
    .column('user_id')
    .execute();
}
