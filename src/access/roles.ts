export const SERVER_ROLES = ['admin', 'user'] as const;
export type ServerRole = (typeof SERVER_ROLES)[number];

/** Ordered from least to most: each role includes the rights of those before it. */
export const LIBRARY_ROLES = ['none', 'read', 'write', 'admin'] as const;
export type LibraryRole = (typeof LIBRARY_ROLES)[number];
/** A role that is stored; `none` is the absence of a grant. */
export type GrantedRole = Exclude<LibraryRole, 'none'>;

const RANK: Record<LibraryRole, number> = { none: 0, read: 1, write: 2, admin: 3 };

export function roleAtLeast(role: LibraryRole, minimum: LibraryRole): boolean {
  return RANK[role] >= RANK[minimum];
}
