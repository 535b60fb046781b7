// In-isolate web globals, part 4: console, fetch (through the host), timers and crypto.
// This function is never called in the daemon as it is: its compiled source text is put into
// preludeSource (prelude.ts) and run inside the isolate, so it must not refer to anything outside
// its own body. It takes what it needs from the earlier parts in `s` and adds what it defines.
/* eslint-disable */
import type { PreludeHost } from './prelude-host.js';

export function globalsPart(s: any, host: PreludeHost): void {
  const { URL, URLSearchParams, Headers, Request, Response } = s;
  const inspect = (v: any, depth = 0): string => {
    if (typeof v === 'string') return depth ? JSON.stringify(v) : v;
    if (v instanceof Error) return v.stack || String(v);
    if (typeof v === 'function') return '[Function ' + (v.name || 'anonymous') + ']';
    if (typeof v === 'bigint') return v + 'n';
    if (typeof v === 'symbol' || v === undefined) return String(v);
    if (v instanceof Headers || v instanceof URLSearchParams) return v.constructor.name + ' ' + inspect(Object.fromEntries(v as any), depth + 1);
    if (v instanceof URL) return 'URL ' + v.href;
    try {
      return JSON.stringify(v) ?? String(v);
    } catch {
      return String(v);
    }
  };
  const console: Record<string, (...a: unknown[]) => void> = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) console[level] = (...a: unknown[]) => host.log(level === 'trace' ? 'debug' : level, a.map((x) => inspect(x)).join(' '));

  const fetch = async (input: any, init?: any): Promise<Response> => {
    const req = new Request(input, init);
    const b = req._body;
    const [status, statusText, headers, body] = await host.fetch([req.url, req.method, [...req.headers], b ? (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer) : null]);
    const res = new Response(status === 204 || status === 304 || status < 200 ? null : body, { status: status < 200 ? 200 : status, statusText, headers });
    Object.defineProperty(res, 'url', { value: req.url });
    return res;
  };

  let timerSeq = 0;
  const timers = new Map<number, boolean>();
  const setTimeout = (fn: (...a: unknown[]) => void, ms = 0, ...args: unknown[]) => {
    const id = ++timerSeq;
    timers.set(id, true);
    void host.sleep(Math.max(0, Number(ms) || 0)).then((fired) => {
      if (timers.delete(id) && fired !== false) fn(...args);
    });
    return id;
  };
  const clearTimeout = (id: number) => void timers.delete(id);
  const setInterval = (fn: (...a: unknown[]) => void, ms = 0, ...args: unknown[]) => {
    const id = ++timerSeq;
    timers.set(id, true);
    const tick = () =>
      void host.sleep(Math.max(1, Number(ms) || 0)).then((fired) => {
        if (!timers.has(id) || fired === false) return void timers.delete(id);
        fn(...args);
        tick();
      });
    tick();
    return id;
  };

  const crypto = {
    randomUUID: () => host.uuid(),
    getRandomValues<T extends ArrayBufferView>(a: T): T {
      const src = new Uint8Array(host.random(a.byteLength));
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(src);
      return a;
    },
  };
  Object.assign(s, { inspect, console, fetch, setTimeout, clearTimeout, setInterval, crypto });
}
