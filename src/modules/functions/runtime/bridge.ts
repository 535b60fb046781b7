// The host side of the web globals: the callbacks the prelude (prelude.ts) calls for what an
// isolate cannot do itself (URL parsing, randomness, logging, network, timers), installed on each
// new context, and the boot script that runs the prelude with them. Only plain values cross.
import ivm from 'isolated-vm';
import { randomBytes, randomUUID } from 'node:crypto';
import { egressFetch, type EgressPolicy } from './egress.js';
import { preludeSource } from './prelude.js';

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
}

/** Pending timers one isolate may hold; past it a new one never fires (and is logged), so the host stays bounded. */
export const MAX_TIMERS = 10_000;

/** Cancels every host timer of an isolate (its callbacks would run in a disposed isolate anyway). */
export function clearTimers(sink: HostSink): void {
  for (const t of sink.timers ?? []) clearTimeout(t);
  sink.timers?.clear();
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

const NO_EGRESS: EgressPolicy = { allow: [], maxResponseBytes: 0, ownPorts: [] };

function parseUrl(input: string, base?: string): string[] | null {
  try {
    const u = new URL(input, base);
    return [u.href, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin];
  } catch {
    return null;
  }
}

async function hostFetch([url, method, headers, body]: [string, string, [string, string][], ArrayBuffer | null], policy: EgressPolicy): Promise<[number, string, [string, string][], ArrayBuffer]> {
  const r = await egressFetch({ url, method, headers, body }, policy);
  return [r.status, r.statusText, r.headers, r.body];
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
  g.setSync('__h_fetchRef', new ivm.Reference((req: Parameters<typeof hostFetch>[0]) => hostFetch(req, sink.egress ?? NO_EGRESS).finally(() => sink.wake?.()).then((r) => ['', r] as const, (e: Error) => [e.message || String(e), null] as const)));
  g.setSync('__h_sleepRef', new ivm.Reference((ms: number) => sleep(sink, ms)));
  g.setSync('__h_b64', new ivm.Callback((op: string, s: string) => (op === 'enc' ? Buffer.from(s, 'latin1').toString('base64') : Buffer.from(s, 'base64').toString('latin1'))));
}

