// The host side of the web globals: the callbacks the prelude (prelude.ts, web/) calls for what an
// isolate cannot do itself (URL parsing, randomness, logging, network, timers, WebCrypto, zlib),
// installed on each new context, and the boot script that runs the prelude with them. Only plain
// values cross. Host calls that return promises go through References (a Callback cannot wait
// for a promise); their failures travel as values so no rejection reaches the daemon.
import ivm from 'isolated-vm';
import { randomBytes, randomUUID } from 'node:crypto';
import { fetchHost } from './host/fetch.js';
import { subtleHost } from './host/subtle.js';
import { zlibHost, zlibStreams } from './host/zlib.js';
import { preludeScript } from './prelude.js';
import type { EgressPolicy } from './egress.js';

const MAX_LOG_LINE = 8192;

/** Where an isolate's console output goes; set when a function claims the isolate. */
export interface HostSink {
  log(level: string, text: string): void;
  /** The claiming function's egress policy (until a function claims the shell: public only, no body). */
  egress?: EgressPolicy;
  /** Host timers behind the isolate's setTimeout/sleep: cleared when the isolate goes (see clearTimers). */
  timers?: Set<NodeJS.Timeout>;
  /** Called when host work hands the isolate something to run (a timer fired, a fetch settled): metering re-arms. */
  wake?: () => void;
  /** Frames and closes the function sends on its WebSockets (set by the instance). */
  ws?: (sid: number, op: 'send' | 'close', data: string | ArrayBuffer | null, code: number, reason: string) => void;
  /** Host resources to free when the isolate goes (zlib streams). */
  closers?: Array<() => void>;
}

/** Pending timers one isolate may hold; past it a new one never fires (and is logged), so the host stays bounded. */
export const MAX_TIMERS = 10_000;

/** Cancels every host timer of an isolate (its callbacks would run in a disposed isolate anyway). */
export function clearTimers(sink: HostSink): void {
  for (const t of sink.timers ?? []) clearTimeout(t);
  sink.timers?.clear();
}

/** Frees what the isolate held on the host besides timers (open zlib streams). */
export function closeHostResources(sink: HostSink): void {
  clearTimers(sink);
  for (const c of sink.closers ?? []) c();
}

const capped = new WeakSet<HostSink>();

/** Resolves true when the timer fired, false at once when the isolate holds too many (the timer must not fire). */
function sleep(sink: HostSink, ms: number): Promise<boolean> {
  const timers = (sink.timers ??= new Set());
  if (timers.size >= MAX_TIMERS) {
    if (!capped.has(sink)) {
      capped.add(sink);
      sink.log('error', `more than ${MAX_TIMERS} pending timers: new timers do not fire`);
    }
    // Refused at once, nothing kept: a promise left pending is collected as "abandoned" and a
    // rejection reaches the daemon as an uncaught exception; the prelude skips a timer resolved false.
    return Promise.resolve(false);
  }
  return new Promise<boolean>((r) => {
    const t = setTimeout(() => {
      timers.delete(t);
      sink.wake?.();
      r(true);
    }, Math.min(Math.max(0, ms), 2 ** 31 - 1));
    timers.add(t);
  });
}

function parseUrl(input: string, base?: string): string[] | null {
  try {
    const u = new URL(input, base);
    return [u.href, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin];
  } catch {
    return null;
  }
}

/** An async host call as the prelude sees it: a function returning a promise of a copy. */
const asyncCall = (ref: string) => `((ref) => (...a) => ref.apply(undefined, a, { arguments: { copy: true }, result: { promise: true, copy: true } }))(${ref})`;

// `__name` covers the helper esbuild adds when the daemon runs from source under tsx.
export const BOOT = `var __name = (f) => f; (() => { ${preludeScript()}; return __llmos_prelude; })().install(globalThis, {
  url: __h_url, log: __h_log, uuid: __h_uuid, random: __h_random, utf8Encode: __h_utf8enc, utf8Decode: __h_utf8dec,
  fetch: ((call) => async (req) => { const [err, res] = await call(req); if (err) throw new TypeError(err); return res; })(${asyncCall('__h_fetchRef')}),
  fetchRead: ${asyncCall('__h_fetchReadRef')}, fetchCancel: __h_fetchCancel,
  sleep: ((ref) => (ms) => ref.apply(undefined, [ms], { arguments: { copy: true }, result: { promise: true } }))(__h_sleepRef),
  subtle: ${asyncCall('__h_subtleRef')},
  zlib: ${asyncCall('__h_zlibRef')},
  zlibOpen: __h_zlibOpen, zlibPush: ${asyncCall('__h_zlibPushRef')}, zlibClose: __h_zlibClose,
  wsSend: __h_wsSend, wsClose: __h_wsClose,
});
for (const k of ['__h_url','__h_log','__h_uuid','__h_random','__h_fetchRef','__h_fetchReadRef','__h_fetchCancel','__h_sleepRef','__h_subtleRef','__h_zlibRef','__h_zlibOpen','__h_zlibPushRef','__h_zlibClose','__h_wsSend','__h_wsClose','__h_utf8enc','__h_utf8dec']) delete globalThis[k];`;

/** Puts the host callbacks the prelude needs on a fresh context's global. */
export function installHost(context: ivm.Context, sink: HostSink): void {
  const g = context.global;
  g.setSync('__h_url', new ivm.Callback(parseUrl));
  g.setSync('__h_log', new ivm.Callback((level: string, text: string) => sink.log(level, text.length > MAX_LOG_LINE ? text.slice(0, MAX_LOG_LINE) + '…' : text), { ignored: true }));
  g.setSync('__h_uuid', new ivm.Callback(() => randomUUID()));
  g.setSync('__h_random', new ivm.Callback((n: number) => new Uint8Array(randomBytes(Math.min(65536, Math.max(0, n | 0)))).buffer));
  // Copies of up to a few megabytes, encoded natively: far less CPU than the isolate's own loop.
  g.setSync('__h_utf8enc', new ivm.Callback((s: string) => {
    const b = Buffer.from(String(s), 'utf8');
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }));
  g.setSync('__h_utf8dec', new ivm.Callback((b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('utf8')));
  const fetches = fetchHost(sink);
  g.setSync('__h_fetchRef', new ivm.Reference((req: Parameters<typeof fetches.fetch>[0]) => fetches.fetch(req).finally(() => sink.wake?.()).then((r) => ['', r] as const, (e: Error) => [e.message || String(e), null] as const)));
  g.setSync('__h_fetchReadRef', new ivm.Reference((id: number) => fetches.read(id).finally(() => sink.wake?.())));
  g.setSync('__h_fetchCancel', new ivm.Callback((id: number) => fetches.cancel(id), { ignored: true }));
  g.setSync('__h_sleepRef', new ivm.Reference((ms: number) => sleep(sink, ms)));
  g.setSync('__h_subtleRef', new ivm.Reference(subtleHost()));
  g.setSync('__h_zlibRef', new ivm.Reference(zlibHost));
  const z = zlibStreams();
  (sink.closers ??= []).push(z.closeAll);
  g.setSync('__h_zlibOpen', new ivm.Callback(z.open));
  g.setSync('__h_zlibPushRef', new ivm.Reference((id: number, data: ArrayBuffer | null) => z.push(id, data).finally(() => sink.wake?.())));
  g.setSync('__h_zlibClose', new ivm.Callback(z.close, { ignored: true }));
  g.setSync('__h_wsSend', new ivm.Callback((sid: number, data: string | ArrayBuffer) => sink.ws?.(sid, 'send', data, 0, ''), { ignored: true }));
  g.setSync('__h_wsClose', new ivm.Callback((sid: number, code: number, reason: string) => sink.ws?.(sid, 'close', null, code, String(reason).slice(0, 123)), { ignored: true }));
}
