// The web-platform globals a function sees inside its V8 isolate. A bare isolate has only the
// ECMAScript built-ins, so Request, Response, Headers, URL, TextEncoder, console, fetch and
// timers are defined here, in plain JS, and run once per isolate. Anything that needs the host
// (URL parsing, randomness, logging, network, timers) goes through the callbacks in `host`.
//
// The definitions are split by API family (prelude-url, prelude-encoding, prelude-http,
// prelude-globals); each part is a self-contained function whose compiled source text goes into
// `preludeSource`, run inside the isolate, in that order, sharing one scope object. This file
// puts them on the global and adds the hidden entry points the host calls.
/* eslint-disable */
import { encodingPart } from './prelude-encoding.js';
import { globalsPart } from './prelude-globals.js';
import type { PreludeHost } from './prelude-host.js';
import { httpPart } from './prelude-http.js';
import { urlPart } from './prelude-url.js';

export type { PreludeHost } from './prelude-host.js';

/** Parts in dependency order: each reads what the earlier ones put in the shared scope. */
const parts = [urlPart, encodingPart, httpPart, globalsPart];

/** Runs inside the isolate after the parts: the globals, and the host's entry points. */
function install(g: any, host: PreludeHost, s: any): void {
  const { TextEncoder, TextDecoder, URL, URLSearchParams, Headers, Request, Response, console, fetch, crypto, setTimeout, clearTimeout, setInterval, inspect, enc } = s;
  const defs: Record<string, unknown> = {
    TextEncoder, TextDecoder, URL, URLSearchParams, Headers, Request, Response, console, fetch, crypto,
    setTimeout, clearTimeout, setInterval, clearInterval: clearTimeout,
    queueMicrotask: (fn: () => void) => void Promise.resolve().then(fn),
    structuredClone: (v: unknown) => (v === undefined ? v : JSON.parse(JSON.stringify(v))),
    atob: (s: string) => host.b64('dec', String(s)),
    btoa: (s: string) => host.b64('enc', String(s)),
    self: g,
  };
  for (const k of Object.keys(defs)) Object.defineProperty(g, k, { value: defs[k], writable: true, configurable: true, enumerable: false });

  // The host binds the module and env once per instance, then calls dispatch for each request
  // with plain arrays in and out (cheap to copy across the isolate boundary).
  let handler: any = null;
  let env: Record<string, string> = {};
  const hidden = (name: string, value: unknown) => Object.defineProperty(g, name, { value, configurable: true });
  hidden('__llmos_bind', (mod: any, e: Record<string, string>) => {
    handler = mod && mod.default !== undefined ? mod.default : mod;
    env = Object.freeze({ ...e });
    delete g.__llmos_mod;
    delete g.__llmos_bind;
    const ok = handler && (typeof handler.fetch === 'function' || typeof handler === 'function');
    return ok ? '' : 'the module has no default export with a fetch(request, env) method';
  });
  // Spare isolates run one request through a stand-in handler ahead of time, so V8 has compiled
  // the request path (its functions are compiled lazily) before a real cold start needs it.
  hidden('__llmos_warmup', () => {
    handler = { fetch: async (r: Request) => Response.json({ u: new URL(r.url).pathname, t: await r.text(), h: r.headers.get('x') }, { headers: { 'x-w': '1' } }) };
    // bind() replaces the stand-in before any real request arrives.
    void g.__llmos_dispatch('POST', 'http://warm/up?x=1', [['x', 'y']], enc('body'));
    new TextDecoder().decode(enc('warm ✓'));
    delete g.__llmos_warmup;
  });
  hidden('__llmos_dispatch', async (method: string, url: string, headers: [string, string][], body: ArrayBuffer | Uint8Array | null) => {
    const req = new Request(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? null : body, trusted: true });
    const fetchFn = handler && (typeof handler.fetch === 'function' ? handler.fetch.bind(handler) : typeof handler === 'function' ? handler : null);
    if (!fetchFn) throw new TypeError('the module has no default export with a fetch(request, env) method');
    const ctx = { waitUntil: (p: Promise<unknown>) => void Promise.resolve(p).catch(() => undefined), passThroughOnException() {} };
    let res = await fetchFn(req, env, ctx);
    if (typeof res === 'string') res = new Response(res);
    if (!(res instanceof Response)) throw new TypeError('fetch() must return a Response, got ' + inspect(res));
    const b = res._body;
    return [res.status, res.statusText, [...res.headers], b ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : null];
  });
}

/** The prelude run directly (in this process), with the same parts in the same order. */
export function prelude(g: any, host: PreludeHost): void {
  const s: Record<string, unknown> = {};
  for (const p of parts) p(s, host);
  install(g, host, s);
}

/** The prelude as source text to run in an isolate; tsc compiled its parts from the functions above. */
export const preludeSource = `((g, host) => { const s = {}; ${parts.map((p) => `(${p.toString()})(s, host);`).join(' ')} (${install.toString()})(g, host, s); })`;
