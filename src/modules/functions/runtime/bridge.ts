// The host side of the web globals: the callbacks the prelude (prelude.ts) calls for what an
// isolate cannot do itself (URL parsing, randomness, logging, network, timers), installed on each
// new context, and the boot script that runs the prelude with them. Only plain values cross.
import ivm from 'isolated-vm';
import { randomBytes, randomUUID } from 'node:crypto';
import { checkEgress } from './egress.js';
import { preludeSource } from './prelude.js';

const MAX_LOG_LINE = 8192;

/** Where an isolate's console output goes; set when a function claims the isolate. */
export interface HostSink {
  log(level: string, text: string): void;
}

function parseUrl(input: string, base?: string): string[] | null {
  try {
    const u = new URL(input, base);
    return [u.href, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin];
  } catch {
    return null;
  }
}

async function hostFetch([url, method, headers, body]: [string, string, [string, string][], ArrayBuffer | null]): Promise<[number, string, [string, string][], ArrayBuffer]> {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`fetch: unsupported scheme ${u.protocol}`);
  checkEgress(u);
  const res = await fetch(url, { method, headers, body: body && method !== 'GET' && method !== 'HEAD' ? body : undefined, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  const buf = await res.arrayBuffer();
  return [res.status, res.statusText, [...res.headers], buf];
}

// `__name` covers the helper esbuild adds when the daemon runs from source under tsx.
export const BOOT = `var __name = (f) => f; ${preludeSource}(globalThis, { url: __h_url, log: __h_log, uuid: __h_uuid, random: __h_random, b64: __h_b64,
  fetch: ((ref) => async (req) => { const [err, res] = await ref.apply(undefined, [req], { arguments: { copy: true }, result: { promise: true, copy: true } }); if (err) throw new TypeError(err); return res; })(__h_fetchRef),
  sleep: ((ref) => (ms) => ref.apply(undefined, [ms], { arguments: { copy: true }, result: { promise: true } }))(__h_sleepRef) });
for (const k of ['__h_url','__h_log','__h_uuid','__h_random','__h_fetchRef','__h_sleepRef','__h_b64']) delete globalThis[k];`;

/** Puts the host callbacks the prelude needs on a fresh context's global. */
export function installHost(context: ivm.Context, sink: HostSink): void {
  const g = context.global;
  g.setSync('__h_url', new ivm.Callback(parseUrl));
  g.setSync('__h_log', new ivm.Callback((level: string, text: string) => sink.log(level, text.length > MAX_LOG_LINE ? text.slice(0, MAX_LOG_LINE) + '…' : text), { ignored: true }));
  g.setSync('__h_uuid', new ivm.Callback(() => randomUUID()));
  g.setSync('__h_random', new ivm.Callback((n: number) => new Uint8Array(randomBytes(Math.min(65536, Math.max(0, n | 0)))).buffer));
  // Host calls that return promises go through References: a Callback cannot wait for a promise.
  // A rejected host promise would also surface as an unhandled rejection in the daemon, so
  // failures travel as values and the prelude throws them inside the isolate.
  g.setSync('__h_fetchRef', new ivm.Reference((req: Parameters<typeof hostFetch>[0]) => hostFetch(req).then((r) => ['', r] as const, (e: Error) => [e.message || String(e), null] as const)));
  g.setSync('__h_sleepRef', new ivm.Reference((ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 2 ** 31 - 1)))));
  g.setSync('__h_b64', new ivm.Callback((op: string, s: string) => (op === 'enc' ? Buffer.from(s, 'latin1').toString('base64') : Buffer.from(s, 'base64').toString('latin1'))));
}

