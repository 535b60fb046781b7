/* global Response -- the web platform of the runtime under test */
// The assertions the conformance handlers run inside the runtime under test (LLMOS or workerd).
// Each case is named after the web-platform-tests file it was written from; a handler answers
// { passed, failed, failures } as JSON.

export function harness() {
  const failures = [];
  let passed = 0;
  let failed = 0;
  const show = (v) => {
    try {
      return typeof v === 'string' ? JSON.stringify(v) : v instanceof Uint8Array ? `[${[...v]}]` : String(v);
    } catch {
      return '?';
    }
  };
  return {
    async t(name, fn) {
      try {
        await fn();
        passed++;
      } catch (e) {
        failed++;
        failures.push(`${name}: ${e && e.message ? e.message : e}`);
      }
    },
    eq(actual, expected, what = '') {
      if (!Object.is(actual, expected)) throw new Error(`${what} expected ${show(expected)}, got ${show(actual)}`);
    },
    ok(v, what = '') {
      if (!v) throw new Error(`${what} expected a true value, got ${show(v)}`);
    },
    bytes(actual, expected, what = '') {
      const a = [...new Uint8Array(actual instanceof ArrayBuffer ? actual : actual.buffer ? new Uint8Array(actual.buffer, actual.byteOffset, actual.byteLength) : actual)];
      if (a.join(',') !== [...expected].join(',')) throw new Error(`${what} expected bytes [${[...expected]}], got [${a}]`);
    },
    throws(fn, name, what = '') {
      try {
        fn();
      } catch (e) {
        if (name && e?.name !== name) throw new Error(`${what} expected ${name}, got ${e?.name}: ${e?.message}`, { cause: e });
        return e;
      }
      throw new Error(`${what} expected ${name ?? 'an exception'}, nothing thrown`);
    },
    async rejects(p, name, what = '') {
      try {
        await (typeof p === 'function' ? p() : p);
      } catch (e) {
        if (name && e?.name !== name) throw new Error(`${what} expected ${name}, got ${e?.name}: ${e?.message}`, { cause: e });
        return e;
      }
      throw new Error(`${what} expected a rejection with ${name ?? 'an error'}, it resolved`);
    },
    hex: (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join(''),
    fromHex: (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16))),
    result: () => Response.json({ passed, failed, failures }),
  };
}
