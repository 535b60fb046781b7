// A call to another node bounded in time: past `ms` it fails with Unavailable (HTTP 503), as any
// unreachable dependency does, and its timer never outlives it.
import { Unavailable } from './errors.js';

export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Unavailable(`${what} did not answer within ${ms / 1000} s`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
