// Passwords in mosquitto's password-file format ($7$: PBKDF2-SHA512, as `mosquitto_passwd` writes
// them), so the broker checks devices itself and LLMOS keeps only the hash.
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 101; // mosquitto_passwd's default for $7$
const SALT_BYTES = 12;
const HASH_BYTES = 64;

export const newPassword = (): string => randomBytes(24).toString('base64url');

export function hashPassword(password: string, salt: Buffer = randomBytes(SALT_BYTES)): string {
  const h = pbkdf2Sync(password, salt, ITERATIONS, HASH_BYTES, 'sha512');
  return `$7$${ITERATIONS}$${salt.toString('base64')}$${h.toString('base64')}`;
}

export function verifyPassword(password: string, hash: string): boolean {
  const m = /^\$7\$(\d+)\$([^$]+)\$([^$]+)$/.exec(hash);
  if (!m) return false;
  const want = Buffer.from(m[3]!, 'base64');
  const got = pbkdf2Sync(password, Buffer.from(m[2]!, 'base64'), Number(m[1]), want.length, 'sha512');
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The password file: one `user:hash` line each. */
export const passwordFile = (entries: Iterable<[string, string]>): string => [...entries].map(([u, h]) => `${u}:${h}\n`).join('');

/**
 * The ACL: the module's own user may use every topic; each device only its own subtree
 * (`%u` is the username, which is the device name).
 */
export const aclFile = (superuser: string): string => `user ${superuser}\ntopic readwrite #\n\npattern readwrite devices/%u/#\n`;
