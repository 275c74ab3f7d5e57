/**
 * Why a backup cannot be made or run, in words its library admins may read: the message names
 * no server path, so it is shown as it is (other failures are reduced to their kind).
 */
export class BackupRefusal extends Error {}
