import {
  randomBytes,
  scrypt as scryptCallback,
  type ScryptOptions,
  timingSafeEqual,
} from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify<string, Buffer, number, ScryptOptions, Buffer>(scryptCallback);
const KEY_LENGTH = 64;
const PARAMS = { N: 16384, r: 8, p: 1 };

/** scrypt hashes stored as `scrypt$N$r$p$salt$hash` (base64url), compared in constant time. */
export class PasswordHasher {
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scrypt(password, salt, KEY_LENGTH, PARAMS);
    return [
      'scrypt',
      PARAMS.N,
      PARAMS.r,
      PARAMS.p,
      salt.toString('base64url'),
      key.toString('base64url'),
    ].join('$');
  }

  /** False for a wrong password and for a stored value that is not one of our hashes. */
  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !hash || rest.length > 0) return false;
    const expected = Buffer.from(hash, 'base64url');
    if (expected.length === 0) return false;
    const params = { N: Number(n), r: Number(r), p: Number(p) };
    let actual: Buffer;
    try {
      actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, params);
    } catch {
      // Parameters scrypt refuses (not a power of two, beyond its memory bound) hash nothing.
      return false;
    }
    return timingSafeEqual(actual, expected);
  }
}
