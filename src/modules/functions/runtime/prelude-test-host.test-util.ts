// A host for running prelude parts directly in Node in unit tests: URLs parsed by Node's own
// URL (as the daemon's host does), logs collected, sleeps real.
/* eslint-disable @typescript-eslint/no-explicit-any -- the parts and their scope are untyped in-isolate JS */
import type { PreludeHost } from './prelude-host.js';

export function testHost(logs: Array<[string, string]> = []): PreludeHost {
  return {
    url(input, base) {
      try {
        const u = new globalThis.URL(input, base);
        return [u.href, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin];
      } catch {
        return null;
      }
    },
    log: (level, text) => void logs.push([level, text]),
    uuid: () => globalThis.crypto.randomUUID(),
    random: (n) => new Uint8Array(n).fill(7).buffer,
    fetch: async ([url, method]) => [200, 'OK', [['x-url', url], ['x-method', method]], new TextEncoder().encode('fetched').buffer as ArrayBuffer],
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    b64: (op, s) => (op === 'enc' ? Buffer.from(s, 'latin1').toString('base64') : Buffer.from(s, 'base64').toString('latin1')),
  };
}

/** The scope after running `parts` in order. */
export function scope(parts: Array<(s: any, host: PreludeHost) => void>, host = testHost()): any {
  const s: Record<string, unknown> = {};
  for (const p of parts) p(s, host);
  return s;
}
