import { type GrantedRole, type LibraryRole, roleAtLeast, type ServerRole } from './roles.js';

/**
 * The live access state of one user. AccessService owns it and changes it in place, so every
 * Principal (and every open event stream holding one) sees a new grant or a revocation at once.
 */
export interface Account {
  readonly id: string;
  readonly username: string;
  readonly role: ServerRole;
  readonly grants: ReadonlyMap<string, GrantedRole>;
  readonly removed: boolean;
}

/** Who is asking, and what they may do. Pure: every answer comes from the live Account. */
export class Principal {
  constructor(private readonly account: Account) {}

  get userId(): string {
    return this.account.id;
  }

  get username(): string {
    return this.account.username;
  }

  get serverRole(): ServerRole {
    return this.account.role;
  }

  get active(): boolean {
    return !this.account.removed;
  }

  /** The stored library grants (a server admin's implicit admin role is not listed). */
  grants(): IterableIterator<[string, GrantedRole]> {
    return this.account.grants.entries();
  }

  isServerAdmin(): boolean {
    return this.active && this.account.role === 'admin';
  }

  /** A server admin counts as admin of every library. */
  roleIn(libraryId: string): LibraryRole {
    if (!this.active) return 'none';
    if (this.account.role === 'admin') return 'admin';
    return this.account.grants.get(libraryId) ?? 'none';
  }

  hasRole(libraryId: string, minimum: LibraryRole): boolean {
    return roleAtLeast(this.roleIn(libraryId), minimum);
  }

  canRead(libraryId: string): boolean {
    return this.hasRole(libraryId, 'read');
  }

  canWrite(libraryId: string): boolean {
    return this.hasRole(libraryId, 'write');
  }

  isLibraryAdmin(libraryId: string): boolean {
    return this.hasRole(libraryId, 'admin');
  }
}
