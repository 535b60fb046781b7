// Where a function's fetch may go. Today: loopback only (services on this machine).
import { isIP } from 'node:net';

/** True for loopback hosts only: functions may call services on this machine, nothing else. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** Throws a TypeError (seen by the function as a failed fetch) when `url` is not allowed. */
export function checkEgress(url: URL): void {
  if (!isLoopbackHost(url.hostname)) throw new TypeError(`fetch: ${url.hostname} is not a loopback address (functions may only call services on this machine)`);
}
