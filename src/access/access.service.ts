import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { AccessRepository, type AccountRow } from './access.repository.js';
import { type Account, Principal } from './principal.js';
import type { GrantedRole, LibraryRole } from './roles.js';

/** One change of the access state, as other processes replay it (see `apply`). */
export type AccessChange =
  | { kind: 'account'; account: AccountRow }
  | { kind: 'account-removed'; userId: string }
  | { kind: 'grant'; libraryId: string; userId: string; role: LibraryRole }
  | { kind: 'library-removed'; libraryId: string }
  /** `until`: when the last access token issued under the session expires (epoch ms). */
  | { kind: 'session-ended'; userId: string; sessionId: string; until: number };

/** A session that ended: the streams opened with it close. */
export interface EndedSession {
  userId: string;
  sessionId: string;
}

interface MutableAccount extends Account {
  role: Account['role'];
  removed: boolean;
  readonly grants: Map<string, GrantedRole>;
}

/**
 * The live access state: every user's server role and library grants, and the sessions that
 * ended while tokens issued under them may still live, mirrored in memory from the database.
 * Services change the database first and then tell this service, which changes the accounts in
 * place; principals, token checks and open event streams read it on every check.
 */
@Injectable()
export class AccessService implements OnModuleInit {
  private readonly accounts = new Map<string, MutableAccount>();
  private readonly membersByLibrary = new Map<string, Map<string, GrantedRole>>();
  private readonly admins = new Set<string>();
  private readonly removedUsers = new Subject<string>();
  private readonly localChanges = new Subject<AccessChange>();
  /**
   * Ended sessions, by id: when the last access token issued under each expires. Kept in memory
   * so that a token check needs no query: the publish path verifies a token per request.
   */
  private readonly endedSessions = new Map<string, number>();
  private readonly sessionEnds = new Subject<EndedSession>();
  /** Ids of users that were deleted, so that transports can close their connections. */
  readonly userRemoved$ = this.removedUsers.asObservable();
  /** Sessions that ended, in this process or another: the streams opened with them close. */
  readonly sessionEnded$ = this.sessionEnds.asObservable();
  /**
   * The changes made by this process, for an event bus to replay on the others; not those that
   * came through `apply`.
   */
  readonly changes$ = this.localChanges.asObservable();

  constructor(
    private readonly repository: AccessRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    // Tokens of a session ended less than a token lifetime ago may still be presented.
    const tokenLifetimeMs = this.config.jwtTtlSeconds * 1000;
    const [accounts, grants, endedSessions] = await Promise.all([
      this.repository.listAccounts(),
      this.repository.listGrants(),
      this.repository.listSessionsEndedSince(Date.now() - tokenLifetimeMs),
    ]);
    for (const account of accounts) this.putAccount(account);
    for (const grant of grants) this.putGrant(grant.libraryId, grant.userId, grant.role);
    for (const { sessionId, revokedAt } of endedSessions) {
      this.endedSessions.set(sessionId, revokedAt + tokenLifetimeMs);
    }
  }

  principalFor(userId: string): Principal | undefined {
    const account = this.accounts.get(userId);
    return account ? new Principal(account) : undefined;
  }

  hasAccount(userId: string): boolean {
    return this.accounts.has(userId);
  }

  addAccount(row: AccountRow): void {
    this.change({ kind: 'account', account: row });
  }

  removeAccount(userId: string): void {
    this.change({ kind: 'account-removed', userId });
  }

  setGrant(libraryId: string, userId: string, role: LibraryRole): void {
    this.change({ kind: 'grant', libraryId, userId, role });
  }

  removeLibrary(libraryId: string): void {
    this.change({ kind: 'library-removed', libraryId });
  }

  /**
   * The session ended (its row says so already): tokens issued under it are refused until
   * `until`, when the last of them expires, and its streams close, on every process.
   */
  endSession(userId: string, sessionId: string, until: number): void {
    this.change({ kind: 'session-ended', userId, sessionId, until });
  }

  /** Whether the session ended while tokens issued under it may still be presented. */
  isSessionEnded(sessionId: string): boolean {
    const until = this.endedSessions.get(sessionId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.endedSessions.delete(sessionId);
    return false;
  }

  /** Applies a change another process made (it changed the shared database already). */
  apply(change: AccessChange): void {
    switch (change.kind) {
      case 'account':
        return this.putAccount(change.account);
      case 'account-removed':
        return this.dropAccount(change.userId);
      case 'grant':
        return this.putGrant(change.libraryId, change.userId, change.role);
      case 'library-removed':
        return this.dropLibrary(change.libraryId);
      case 'session-ended':
        return this.putEndedSession(change.userId, change.sessionId, change.until);
    }
  }

  private change(change: AccessChange): void {
    this.apply(change);
    this.localChanges.next(change);
  }

  private putAccount(row: AccountRow): void {
    const known = this.accounts.get(row.id);
    if (known) {
      known.role = row.role;
      if (row.role === 'admin') this.admins.add(row.id);
      else this.admins.delete(row.id);
      return;
    }
    const account: MutableAccount = { ...row, grants: new Map(), removed: false };
    this.accounts.set(row.id, account);
    if (row.role === 'admin') this.admins.add(row.id);
  }

  private dropAccount(userId: string): void {
    const account = this.accounts.get(userId);
    if (!account) return;
    account.removed = true;
    for (const libraryId of account.grants.keys())
      this.membersByLibrary.get(libraryId)?.delete(userId);
    account.grants.clear();
    this.accounts.delete(userId);
    this.admins.delete(userId);
    this.removedUsers.next(userId);
  }

  private putGrant(libraryId: string, userId: string, role: LibraryRole): void {
    const account = this.accounts.get(userId);
    if (!account) return;
    let members = this.membersByLibrary.get(libraryId);
    if (role === 'none') {
      account.grants.delete(libraryId);
      members?.delete(userId);
      return;
    }
    if (!members) this.membersByLibrary.set(libraryId, (members = new Map()));
    members.set(userId, role);
    account.grants.set(libraryId, role);
  }

  private dropLibrary(libraryId: string): void {
    const members = this.membersByLibrary.get(libraryId);
    if (!members) return;
    for (const userId of members.keys()) this.accounts.get(userId)?.grants.delete(libraryId);
    this.membersByLibrary.delete(libraryId);
  }

  private putEndedSession(userId: string, sessionId: string, until: number): void {
    const now = Date.now();
    // Entries whose tokens have all expired go: nothing presented under them verifies any more.
    for (const [ended, endedUntil] of this.endedSessions) {
      if (endedUntil <= now) this.endedSessions.delete(ended);
    }
    this.endedSessions.set(sessionId, Math.max(until, this.endedSessions.get(sessionId) ?? 0));
    this.sessionEnds.next({ userId, sessionId });
  }

  /** Users holding a stored grant on the library (server admins aside). */
  libraryMembers(libraryId: string): ReadonlyMap<string, GrantedRole> {
    return this.membersByLibrary.get(libraryId) ?? EMPTY_MEMBERS;
  }

  serverAdminIds(): ReadonlySet<string> {
    return this.admins;
  }
}

const EMPTY_MEMBERS: ReadonlyMap<string, GrantedRole> = new Map();
