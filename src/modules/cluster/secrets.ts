// Secrets (join token secrets, node credentials) are stored as sha256 hashes only and compared in
// constant time, so a copy of the store does not let anyone join or pose as a node.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const hashSecret = (s: string): string => createHash('sha256').update(s).digest('hex');

export const newSecret = (bytes = 24): string => randomBytes(bytes).toString('base64url');

export function secretMatches(given: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(given), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
