// The bundled prelude run in a bare node:vm context (only the ECMAScript built-ins, like an
// isolate) for unit tests, with a host whose URLs are parsed by Node's URL (as the daemon's host
// does), logs collected, sleeps real, WebCrypto and zlib the daemon's own host halves, and a
// fetch that answers without a network.
/* eslint-disable @typescript-eslint/no-explicit-any -- the in-isolate globals are untyped */
import vm from 'node:vm';
import { subtleHost } from './host/subtle.js';
import { zlibHost, zlibStreams } from './host/zlib.js';
import { preludeScript, type PreludeHost } from './prelude.js';
import { parseTextAnswer, type Out } from './answer-wire.js';

/** Buffers made in the vm context, as copies of this realm (isolated-vm copies the same way). */
function fromContext(v: unknown): unknown {
  if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') return new Uint8Array(v as ArrayBuffer).slice().buffer;
  if (Array.isArray(v)) return Array.from(v as unknown[], fromContext);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromContext(x)]));
  return v;
}

export function testHost(logs: Array<[string, string]> = []): PreludeHost {
  const z = zlibStreams();
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
    fetch: async ([url, method]) => [200, 'OK', [['x-url', url], ['x-method', method]], new TextEncoder().encode('fetched').buffer as ArrayBuffer, url, false, -1],
    fetchRead: async () => ['no streams in the test host', null],
    fetchCancel: () => undefined,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    subtle: ((s) => (op: string, args: unknown[]) => s(op, fromContext(args) as unknown[]))(subtleHost()),
    zlib: zlibHost,
    zlibOpen: z.open,
    zlibPush: (id, data) => z.push(id, data ? (fromContext(data) as ArrayBuffer) : null),
    zlibClose: z.close,
    wsSend: () => undefined,
    wsClose: () => undefined,
    utf8Encode: (s) => new Uint8Array(Buffer.from(s, 'utf8')).buffer,
    utf8Decode: (b) => Buffer.from(new Uint8Array(b as ArrayBuffer)).toString('utf8'),
  };
}

/** A fresh context's global object after the prelude ran in it. */
export function preludeGlobals(host = testHost()): any {
  const ctx = vm.createContext({ __host: host });
  vm.runInContext(`var __name = (f) => f; (() => { ${preludeScript()}; return __llmos_prelude; })().install(globalThis, __host); delete globalThis.__host;`, ctx);
  return vm.runInContext('globalThis', ctx);
}

/** g.__llmos_dispatch's answer in the array form, whichever way it left (answer-wire.ts), as the host reads it. */
export async function dispatchOut(g: any, method: string, url: string, headers: string | [string, string][], body: unknown): Promise<Out> {
  const a = await g.__llmos_dispatch(method, url, headers, body);
  if (typeof a === 'number') return fromContext(g.__llmos_take(a)) as Out;
  const t = parseTextAnswer(a);
  return [t.status, t.statusText, t.headers, t.text === null ? null : (new Uint8Array(Buffer.from(t.text, 'utf8')).buffer as ArrayBuffer), 0, 0];
}
