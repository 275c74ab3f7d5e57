import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { AccessRepository, type AccountRow } from './access.repository.js';
import { type Account, Principal } from './principal.js';
import type { GrantedRole, LibraryRole } from './roles.js';

interface MutableAccount extends Account {
  role: Account['role'];
  removed: boolean;
  readonly grants: Map<string, GrantedRole>;
}

/**
 * The live access state: every user's server role and library grants, mirrored in memory from
 * SQLite. Services change the database first and then tell this service, which changes the
 * accounts in place; principals and open event streams read it on every check.
 */
@Injectable()
export class AccessService implements OnModuleInit {
  private readonly accounts = new Map<string, MutableAccount>();
  private readonly membersByLibrary = new Map<string, Map<string, GrantedRole>>();
  private readonly admins = new Set<string>();
  private readonly removedUsers = new Subject<string>();
  /** Ids of users that were deleted, so that transports can close their connections. */
  readonly userRemoved$ = this.removedUsers.asObservable();

  constructor(private readonly repository: AccessRepository) {}

  async onModuleInit(): Promise<void> {
    const [accounts, grants] = await Promise.all([
      this.repository.listAccounts(),
      this.repository.listGrants(),
    ]);
    for (const account of accounts) this.addAccount(account);
    for (const grant of grants) this.setGrant(grant.libraryId, grant.userId, grant.role);
  }

  principalFor(userId: string): Principal | undefined {
    const account = this.accounts.get(userId);
    return account ? new Principal(account) : undefined;
  }

  hasAccount(userId: string): boolean {
    return this.accounts.has(userId);
  }

  addAccount(row: AccountRow): void {
    const account: MutableAccount = { ...row, grants: new Map(), removed: false };
    this.accounts.set(row.id, account);
    if (row.role === 'admin') this.admins.add(row.id);
  }

  removeAccount(userId: string): void {
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

  setGrant(libraryId: string, userId: string, role: LibraryRole): void {
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

  removeLibrary(libraryId: string): void {
    const members = this.membersByLibrary.get(libraryId);
    if (!members) return;
    for (const userId of members.keys()) this.accounts.get(userId)?.grants.delete(libraryId);
    this.membersByLibrary.delete(libraryId);
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
