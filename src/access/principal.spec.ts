import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppConfig, loadAppConfig } from '../config/app-config.js';
import { DatabaseService } from '../database/database.service.js';
import { AccessRepository } from './access.repository.js';
import { AccessService } from './access.service.js';
import { type Account, Principal } from './principal.js';
import { LIBRARY_ROLES, type GrantedRole, type LibraryRole, roleAtLeast } from './roles.js';

function account(overrides: Partial<Account> & { grants?: Map<string, GrantedRole> }): Account {
  return {
    id: 'u1',
    username: 'alice',
    role: 'user',
    grants: new Map(),
    removed: false,
    ...overrides,
  };
}

describe('roles', () => {
  it('orders library roles none < read < write < admin', () => {
    expect(LIBRARY_ROLES).toEqual(['none', 'read', 'write', 'admin']);
    for (const [i, role] of LIBRARY_ROLES.entries()) {
      for (const [j, minimum] of LIBRARY_ROLES.entries()) {
        expect(roleAtLeast(role, minimum)).toBe(i >= j);
      }
    }
  });
});

describe('Principal', () => {
  it('answers from the stored grant of each library', () => {
    const grants = new Map<string, GrantedRole>([
      ['reader', 'read'],
      ['writer', 'write'],
      ['owner', 'admin'],
    ]);
    const principal = new Principal(account({ grants }));
    const answers = (libraryId: string) => [
      principal.roleIn(libraryId),
      principal.canRead(libraryId),
      principal.canWrite(libraryId),
      principal.isLibraryAdmin(libraryId),
    ];
    expect(answers('elsewhere')).toEqual(['none', false, false, false]);
    expect(answers('reader')).toEqual(['read', true, false, false]);
    expect(answers('writer')).toEqual(['write', true, true, false]);
    expect(answers('owner')).toEqual(['admin', true, true, true]);
    expect(principal.isServerAdmin()).toBe(false);
  });

  it('makes a server admin admin of every library, granted or not', () => {
    const principal = new Principal(
      account({ role: 'admin', grants: new Map([['reader', 'read']]) }),
    );
    expect(principal.isServerAdmin()).toBe(true);
    for (const libraryId of ['reader', 'never-granted']) {
      expect(principal.roleIn(libraryId)).toBe('admin');
      expect(principal.isLibraryAdmin(libraryId)).toBe(true);
      expect(principal.hasRole(libraryId, 'admin')).toBe(true);
    }
  });

  it('checks hasRole against every minimum', () => {
    const principal = new Principal(account({ grants: new Map([['lib', 'write']]) }));
    const results = LIBRARY_ROLES.map((minimum: LibraryRole) => principal.hasRole('lib', minimum));
    expect(results).toEqual([true, true, true, false]);
    expect(principal.hasRole('other', 'none')).toBe(true);
    expect(principal.hasRole('other', 'read')).toBe(false);
  });

  it('gives a removed account no rights at all, server admin or not', () => {
    const admin = new Principal(account({ role: 'admin', removed: true }));
    const user = new Principal(account({ removed: true, grants: new Map([['lib', 'admin']]) }));
    for (const principal of [admin, user]) {
      expect(principal.active).toBe(false);
      expect(principal.isServerAdmin()).toBe(false);
      expect(principal.roleIn('lib')).toBe('none');
      expect(principal.canRead('lib')).toBe(false);
    }
  });
});

describe('AccessService', () => {
  let dataDir: string;
  let config: AppConfig;
  let database: DatabaseService;
  let access: AccessService;

  beforeAll(() => Logger.overrideLogger(['error', 'warn']));

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'reelay-access-'));
    config = loadAppConfig({ DATA_DIR: dataDir, JWT_TTL: '1h' });
    database = new DatabaseService(config);
    await database.migrate();
    const now = Date.now();
    await database.db
      .insertInto('users')
      .values([
        { id: 'ann', username: 'ann', password_hash: 'x', role: 'user', created_at: now },
        { id: 'root', username: 'root', password_hash: 'x', role: 'admin', created_at: now },
      ])
      .execute();
    await database.db
      .insertInto('libraries')
      .values({
        id: 'lib',
        name: 'Lib',
        type: 'photos',
        settings: '{}',
        created_at: now,
        updated_at: now,
      })
      .execute();
    await database.db
      .insertInto('library_users')
      .values({ library_id: 'lib', user_id: 'ann', role: 'read' })
      .execute();
    const hour = 3_600_000;
    const session = (id: string, revokedAt: number | null) => ({
      id,
      user_id: 'ann',
      secret_hash: 'x',
      previous_hash: null,
      rotated_at: now - 2 * hour,
      created_at: now - 2 * hour,
      last_used_at: now - 2 * hour,
      expires_at: now + hour,
      revoked_at: revokedAt,
      user_agent: '',
    });
    await database.db
      .insertInto('sessions')
      .values([
        session('live', null),
        session('ended-lately', now - hour + 60_000),
        session('ended-long-ago', now - hour - 60_000),
      ])
      .execute();
    access = new AccessService(new AccessRepository(database), config);
    await access.onModuleInit();
  });

  afterEach(async () => {
    await database.onApplicationShutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads accounts and grants from the database', () => {
    expect(access.principalFor('ann')?.roleIn('lib')).toBe('read');
    expect(access.principalFor('root')?.isServerAdmin()).toBe(true);
    expect(access.principalFor('nobody')).toBeUndefined();
    expect([...access.serverAdminIds()]).toEqual(['root']);
    expect([...access.libraryMembers('lib')]).toEqual([['ann', 'read']]);
  });

  it('loads the sessions ended less than a token lifetime ago, whose tokens may still be presented', () => {
    expect(access.isSessionEnded('ended-lately')).toBe(true);
    expect(access.isSessionEnded('ended-long-ago')).toBe(false);
    expect(access.isSessionEnded('live')).toBe(false);
  });

  it('ends a session at once, for this process and the others, until its last token expires', () => {
    const ended: unknown[] = [];
    const changes: unknown[] = [];
    const subscriptions = [
      access.sessionEnded$.subscribe((session) => ended.push(session)),
      access.changes$.subscribe((change) => changes.push(change)),
    ];
    const until = Date.now() + 60_000;
    access.endSession('ann', 'live', until);
    access.apply({ kind: 'session-ended', userId: 'root', sessionId: 'elsewhere', until });
    access.endSession('ann', 'outlived', Date.now() - 1);
    for (const subscription of subscriptions) subscription.unsubscribe();

    expect(access.isSessionEnded('live')).toBe(true);
    expect(access.isSessionEnded('elsewhere')).toBe(true);
    expect(access.isSessionEnded('outlived')).toBe(false);
    expect(ended).toEqual([
      { userId: 'ann', sessionId: 'live' },
      { userId: 'root', sessionId: 'elsewhere' },
      { userId: 'ann', sessionId: 'outlived' },
    ]);
    // Only this process's changes go out to the others; what came from them does not return.
    expect(changes).toEqual([
      { kind: 'session-ended', userId: 'ann', sessionId: 'live', until },
      { kind: 'session-ended', userId: 'ann', sessionId: 'outlived', until: expect.any(Number) },
    ]);
  });

  it('shows a changed grant at once through a Principal made before the change', () => {
    const ann = access.principalFor('ann') as Principal;
    access.setGrant('lib', 'ann', 'admin');
    expect(ann.isLibraryAdmin('lib')).toBe(true);
    access.setGrant('lib', 'ann', 'write');
    expect(ann.roleIn('lib')).toBe('write');
    access.setGrant('other', 'ann', 'read');
    expect(ann.canRead('other')).toBe(true);
    access.setGrant('lib', 'ann', 'none');
    expect(ann.canRead('lib')).toBe(false);
    expect([...ann.grants()]).toEqual([['other', 'read']]);
    expect(access.libraryMembers('lib').size).toBe(0);
  });

  it('takes every right from a removed account, through Principals made before', () => {
    const ann = access.principalFor('ann') as Principal;
    const removed: string[] = [];
    const subscription = access.userRemoved$.subscribe((id) => removed.push(id));
    access.removeAccount('ann');
    subscription.unsubscribe();
    expect(removed).toEqual(['ann']);
    expect(ann.active).toBe(false);
    expect(ann.canRead('lib')).toBe(false);
    expect(access.principalFor('ann')).toBeUndefined();
    expect(access.hasAccount('ann')).toBe(false);
    expect(access.libraryMembers('lib').size).toBe(0);
  });

  it('drops every grant of a removed library', () => {
    const ann = access.principalFor('ann') as Principal;
    access.removeLibrary('lib');
    expect(ann.canRead('lib')).toBe(false);
    expect(access.libraryMembers('lib').size).toBe(0);
    expect(access.principalFor('root')?.isLibraryAdmin('lib')).toBe(true);
  });

  it('ignores a grant for an unknown user', () => {
    access.setGrant('lib', 'nobody', 'admin');
    expect(access.principalFor('nobody')).toBeUndefined();
    expect([...access.libraryMembers('lib').keys()]).toEqual(['ann']);
  });

  it('makes a newly added account visible', () => {
    access.addAccount({ id: 'bob', username: 'bob', role: 'admin' });
    expect(access.principalFor('bob')?.isServerAdmin()).toBe(true);
    expect(access.serverAdminIds().has('bob')).toBe(true);
  });
});
