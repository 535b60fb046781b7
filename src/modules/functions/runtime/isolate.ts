// An isolate instance: a V8 isolate (own heap, memory limit) with one context holding the web
// globals and the compiled function module. Requests run on isolated-vm's thread pool, so the
// daemon's event loop stays free and a watchdog can measure the isolate's CPU time and dispose it
// when a request exceeds its CPU budget.
import ivm from 'isolated-vm';
import { InvocationFailed } from '../failures.js';
import { clearTimers, closeHostResources, type HostSink } from './bridge.js';
import { Channels } from './channels.js';
import { guardExit } from './exit-guard.js';
import { countInflight, createSpareShell, takeShell, type Shell } from './shells.js';

export { setSpareShells } from './shells.js';
import type { EgressPolicy } from './egress.js';
import { installKv, type KvCall } from './kv-glue.js';
import type { Instance, InvokeRequest, InvokeResponse } from './instance.js';
import { MODULE_GLOBAL } from '../source.js';
import { packRequestHeaders, parseTextAnswer, type Out } from './answer-wire.js';

guardExit();

export interface IsolateOptions {
  id: string;
  functionName: string;
  /** The bundled script (see source.ts). */
  code: string;
  /** Code cache of `code`, when an earlier instance produced one. */
  codeCache?: ivm.ExternalCopy<ArrayBuffer>;
  memoryBytes: number;
  cpuMs: number;
  env: Record<string, string>;
  onLog(level: string, text: string): void;
  /** Allow the same-thread fast path for cheap requests (see invoke). */
  fastPath?: boolean;
  /** Where the function's fetch may go (egress.ts); default: public addresses, 16 MiB bodies. */
  egress?: EgressPolicy;
  /** How long timers may still run after the last response, ms (Workers: 30 s); then they are cancelled. */
  backgroundMs?: number;
  /** KV bindings: env[NAME] for each name, served by `call`. */
  kv?: { names: string[]; call: KvCall };
  /** Told once when the instance dies (a limit, a timeout, background work): a function host passes it on. */
  onDead?(reason: string): void;
  /** Leave the spare shells to requests (a deploy check): the shell is made off the event loop instead. */
  noSpare?: boolean;
  /** Largest streamed response, bytes (default channels.ts MAX_STREAM_BYTES). */
  streamMaxBytes?: number;
  /** The other limits of streams and WebSockets (deploy options; channel-limits.ts). */
  streamIdleMs?: number;
  wsMaxSockets?: number;
  wsMaxMessageBytes?: number;
}

/**
 * The bytes of a view in a buffer of their own. isolated-vm copies a view's whole backing buffer
 * into the isolate: a body that views a wire frame or Node's shared 8 KiB pool would carry other
 * requests' bytes, reachable by a function through `.buffer` (e.g. from a patched prototype).
 */
export const ownBytes = (b: Uint8Array): Uint8Array => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b));

/** A request's CPU watchdog and timeout: `breached` rejects when either fires (then `breach` says which, for the CPU). */
interface Limits {
  breached: Promise<never>;
  breach?: InvocationFailed;
  clear(): void;
}

const DEFAULT_EGRESS: EgressPolicy = { allow: [], maxResponseBytes: 16 * 2 ** 20 };
const DEFAULT_BACKGROUND_MS = 30_000;
/** How long an idle instance is kept for its open WebSockets and streams before it goes anyway. */
const MAX_HOLD_MS = 15 * 60_000;

/** Requests averaging less CPU than this run their synchronous part on the daemon's thread. */
const FAST_PATH_CPU_MS = 0.5;
/** Requests an instance serves on the pool before it may take the fast path. */
const FAST_PATH_AFTER = 16;

export class IsolateInstance implements Instance {
  dead: string | undefined;
  private isolate!: ivm.Isolate;
  private context!: ivm.Context;
  private sink?: HostSink;
  private running = 0;
  private lastWake = 0;
  /** Gateway hops of the requests in flight (their largest), carried on by the function's fetch. */
  private hops = 0;
  /** Watches CPU and wall time of work left after the responses (timers, waitUntil). */
  private background?: { timer: NodeJS.Timeout; lastCpu: bigint };
  /** When the last response went out and the CPU time then: the base of background metering. */
  private afterResponse?: { since: number; cpu0: bigint };
  private dispatch!: ivm.Reference<(m: string, u: string, h: string | [string, string][], b: unknown) => Promise<string | number>>;
  private take!: ivm.Reference<(id: number) => Out>;
  private dispatchNow!: ivm.Reference<(m: string, u: string, h: string | [string, string][], b: unknown) => number>;
  private outcome!: ivm.Reference<(id: number) => string | number | null>;
  private pending!: ivm.Reference<(id: number) => Promise<string | number>>;
  /** Code cache produced by this instance's compile, for the next instance of the function. */
  producedCache?: ivm.ExternalCopy<ArrayBuffer>;
  /** Moving average of CPU time per request, ms: picks the fast path (see invoke). */
  private cpuEwmaMs = 0;
  private served = 0;
  /** Streamed bodies and WebSockets still open after their responses. */
  private channels!: Channels;

  private constructor(private readonly opts: IsolateOptions) {
    this.id = opts.id;
  }
  readonly id: string;

  static async start(opts: IsolateOptions): Promise<IsolateInstance> {
    const inst = new IsolateInstance(opts);
    const mb = Math.max(8, Math.floor(opts.memoryBytes / 2 ** 20));
    try {
      inst.setup(opts.noSpare ? await createSpareShell(mb) : takeShell(mb));
    } catch (e) {
      const oom = inst.isolate?.isDisposed || /memory limit/i.test((e as Error).message);
      inst.kill('start failed');
      throw new InvocationFailed(oom ? 'memory-limit' : 'start-failed', `function ${opts.functionName} failed to start: ${(e as Error).message}`, { cause: e });
    }
    return inst;
  }

  // Synchronous on purpose: each step is sub-millisecond, and async hops would cost more than they save.
  private setup(shell: Shell): void {
    const { opts } = this;
    const { isolate, context } = shell;
    this.isolate = isolate;
    this.context = context;
    shell.sink.log = opts.onLog;
    shell.sink.egress = { ...(opts.egress ?? DEFAULT_EGRESS), hops: () => this.hops };
    this.sink = shell.sink;
    shell.sink.wake = () => {
      this.lastWake = Date.now();
      this.watchBackground();
    };
    const g = context.global;
    const script: ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> } = isolate.compileScriptSync(opts.code, { filename: `fn:${opts.functionName}`, ...(opts.codeCache ? { cachedData: opts.codeCache } : { produceCachedData: true }) });
    if (script.cachedData && !opts.codeCache) this.producedCache = script.cachedData;
    script.runSync(context, { timeout: Math.max(50, opts.cpuMs) });
    script.release();
    g.setSync('__llmos_env', new ivm.ExternalCopy(opts.env).copyInto());
    if (opts.kv?.names.length) installKv(context, opts.kv.names, opts.kv.call);
    const problem = context.evalSync(`(() => { const e = Object.assign(__llmos_env, globalThis.__llmos_kv); delete globalThis.__llmos_kv; const p = __llmos_bind(globalThis.${MODULE_GLOBAL}, e); delete globalThis.__llmos_env; return p; })()`) as string;
    if (problem) throw new Error(problem);
    this.dispatch = g.getSync('__llmos_dispatch', { reference: true }) as typeof this.dispatch;
    this.take = g.getSync('__llmos_take', { reference: true }) as typeof this.take;
    this.dispatchNow = g.getSync('__llmos_dispatch_now', { reference: true }) as typeof this.dispatchNow;
    this.outcome = g.getSync('__llmos_outcome', { reference: true }) as typeof this.outcome;
    this.pending = g.getSync('__llmos_pending', { reference: true }) as typeof this.pending;
    this.channels = new Channels({
      isolate, context, name: opts.functionName, cpuMs: opts.cpuMs, idleMs: opts.streamIdleMs ?? opts.backgroundMs ?? DEFAULT_BACKGROUND_MS, streamMaxBytes: opts.streamMaxBytes, maxSockets: opts.wsMaxSockets, maxMessageBytes: opts.wsMaxMessageBytes,
      kill: (r) => this.kill(r), touch: () => this.touch(), log: opts.onLog,
    });
    shell.sink.ws = (sid, op, data, code, reason) => this.channels.fromIsolate(sid, op, data, code, reason);
  }

  async invoke(req: InvokeRequest, { timeoutMs }: { timeoutMs: number }): Promise<InvokeResponse> {
    if (this.dead) throw new InvocationFailed('start-failed', `instance ${this.id} is gone: ${this.dead}`);
    const cpu0 = this.isolate.cpuTime;
    const body = req.body && req.body.byteLength ? ownBytes(req.body) : null;
    countInflight(1);
    const h = Number(req.headers.find(([k]) => k === 'x-llmos-hops')?.[1] ?? 0) || 0;
    this.hops = this.running > 0 ? Math.max(this.hops, h) : h;
    this.running++;
    this.stopBackground();
    this.afterResponse = undefined;
    // Primitives cross without a clone (answer-wire.ts); only a rare header with a newline makes it clone.
    const packed = packRequestHeaders(req.headers);
    const args: [string, string, string | [string, string][], unknown] = packed === undefined ? [req.method, req.url, req.headers, body] : [req.method, req.url, packed, body ? new ivm.ExternalCopy(body).copyInto({ release: true }) : null];
    const copyArgs: ivm.ReferenceApplyOptions = packed === undefined ? { arguments: { copy: true } } : {};
    let run: Promise<string | number> | undefined;
    let limits: Limits | undefined;
    try {
      // Fast path: a function whose requests take little CPU runs on this thread (no hop to
      // isolated-vm's pool and back), bounded by V8's timeout at the CPU limit; one that settles
      // there answers at once, without a timer armed (web/handlers.ts dispatchNow). Work after a
      // real await runs on the pool either way; slow functions always use the pool so they never
      // hold up the event loop.
      if (this.opts.fastPath && this.served >= FAST_PATH_AFTER && this.cpuEwmaMs < FAST_PATH_CPU_MS) {
        const settled = this.runNow(args, copyArgs);
        if (typeof settled !== 'number' || settled > 0) return this.toResponse(settled);
        run = this.pending.applySync(undefined, [-settled], { result: { promise: true } }) as unknown as Promise<string | number>;
      } else run = this.dispatch.apply(undefined, args as never, { ...copyArgs, result: { promise: true } }) as unknown as Promise<string | number>;
      limits = this.armLimits(cpu0, timeoutMs);
      return this.toResponse(await Promise.race([run, limits.breached]));
    } catch (e) {
      if (e instanceof InvocationFailed) throw e;
      if (limits?.breach) throw limits.breach;
      throw this.translate(e);
    } finally {
      countInflight(-1);
      this.running--;
      limits?.clear();
      run?.catch(() => undefined);
      this.served++;
      if (!this.isolate.isDisposed) this.cpuEwmaMs = 0.8 * this.cpuEwmaMs + 0.2 * (Number(this.isolate.cpuTime - cpu0) / 1e6);
      if (this.running === 0 && !this.isolate.isDisposed) {
        this.afterResponse = { since: Date.now(), cpu0: this.isolate.cpuTime };
        this.watchBackground();
      }
    }
  }

  /** Runs the request on this thread: its answer (string, or a take() number), or -id when it has not settled. */
  private runNow(args: unknown[], copyArgs: ivm.ReferenceApplyOptions): string | number {
    let id: number;
    try {
      id = this.dispatchNow.applySync(undefined, args as never, { ...copyArgs, timeout: Math.max(1, Math.ceil(this.opts.cpuMs)) }) as number;
    } catch (e) {
      if (!/timed out/i.test((e as Error)?.message ?? '')) throw e;
      this.kill('cpu time limit exceeded');
      throw new InvocationFailed('cpu-limit', `function ${this.opts.functionName} exceeded its CPU time limit of ${this.opts.cpuMs} ms; the instance was replaced`);
    }
    const answer = this.outcome.applySync(undefined, [id]) as string | number | null;
    return answer === null ? -id : answer;
  }

  /** The CPU limit's watchdog and the timeout, for a request that awaits: `breached` rejects at either. */
  private armLimits(cpu0: bigint, timeoutMs: number): Limits {
    const name = this.opts.functionName;
    const budgetNs = BigInt(Math.round(this.opts.cpuMs * 1e6));
    let watchdog: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const limits: Limits = { breached: undefined as unknown as Promise<never>, clear: () => (clearTimeout(watchdog), clearTimeout(deadline)) };
    limits.breached = new Promise<never>((_, reject) => {
      const check = () => {
        if (this.isolate.isDisposed) return;
        const used = this.isolate.cpuTime - cpu0;
        if (used >= budgetNs) {
          limits.breach = new InvocationFailed('cpu-limit', `function ${name} exceeded its CPU time limit of ${this.opts.cpuMs} ms; the instance was replaced`);
          this.kill('cpu time limit exceeded');
          return reject(limits.breach);
        }
        // Check again when the rest of the budget could at the earliest be used up.
        watchdog = setTimeout(check, Math.max(2, Number(budgetNs - used) / 1e6));
      };
      watchdog = setTimeout(check, Math.max(2, Number(budgetNs - (this.isolate.cpuTime - cpu0)) / 1e6));
      deadline = setTimeout(() => {
        // A timed-out request's work must stop too (it could go on calling out): the instance goes.
        this.kill('timed out');
        reject(new InvocationFailed('timeout', `function ${name} did not answer within its timeout of ${timeoutMs} ms; the instance was replaced`));
      }, timeoutMs);
    });
    limits.breached.catch(() => undefined);
    return limits;
  }

  /** The isolate's answer (answer-wire.ts) as the pool's response. */
  private toResponse(answer: string | number): InvokeResponse {
    if (typeof answer === 'string') {
      const t = parseTextAnswer(answer);
      return { status: t.status, statusText: t.statusText, headers: t.headers, body: t.text === null ? null : Buffer.from(t.text, 'utf8') };
    }
    const [status, statusText, headers, resBody, sid, wsid] = this.take.applySync(undefined, [answer], { result: { copy: true } }) as Out;
    const out: InvokeResponse = { status, statusText, headers, body: resBody ? new Uint8Array(resBody) : null };
    if (sid) out.stream = this.channels.stream(sid);
    if (wsid) out.webSocket = this.channels.socket(wsid);
    return out;
  }

  /**
   * After the last response, work may go on in timers, fetches and waitUntil: all of it is charged
   * against the CPU limit (the instance is disposed past it) and allowed for backgroundMs of wall
   * time, after which its timers are cancelled. Watched while timers are pending or the isolate
   * keeps using CPU; a timer firing or a fetch settling re-arms the watch (sink.wake).
   */
  private watchBackground(): void {
    if (this.dead || this.running > 0 || this.background || !this.afterResponse) return;
    const { since, cpu0 } = this.afterResponse;
    const limitMs = this.opts.backgroundMs ?? DEFAULT_BACKGROUND_MS;
    const budgetNs = BigInt(Math.round(this.opts.cpuMs * 1e6));
    const bg = { timer: undefined as unknown as NodeJS.Timeout, lastCpu: this.isolate.cpuTime };
    const check = () => {
      if (this.dead || this.isolate.isDisposed || this.background !== bg) return;
      const now = this.isolate.cpuTime;
      if (now - cpu0 >= budgetNs) {
        this.opts.onLog('error', `background work (timers, waitUntil) used more than the CPU time limit of ${this.opts.cpuMs} ms after the response: the instance was killed`);
        this.background = undefined;
        return this.kill('background CPU time limit exceeded');
      }
      const pending = this.sink?.timers?.size ?? 0;
      if (pending && Date.now() - since >= limitMs) {
        this.opts.onLog('error', `background work still pending ${limitMs} ms after the response: ${pending} timers cancelled`);
        clearTimers(this.sink!);
      }
      const busy = now !== bg.lastCpu;
      bg.lastCpu = now;
      // Idle: nothing pending, no CPU since the last check, and no wake-up for a while (the work a
      // wake-up hands over starts on the isolate's thread a moment later).
      if (!pending && !busy && Date.now() - this.lastWake > 100) return void (this.background = undefined);
      bg.timer = setTimeout(check, Math.max(2, Math.min(50, Number(budgetNs - (now - cpu0)) / 1e6)));
      bg.timer.unref();
    };
    this.background = bg;
    bg.timer = setTimeout(check, 2);
    bg.timer.unref();
  }

  /** Work for an open stream or socket ran: background metering counts from now. */
  private touch(): void {
    if (this.dead || this.running > 0 || this.isolate.isDisposed) return;
    this.afterResponse = { since: Date.now(), cpu0: this.isolate.cpuTime };
    this.stopBackground();
    this.watchBackground();
  }

  private stopBackground(): void {
    if (this.background) clearTimeout(this.background.timer);
    this.background = undefined;
  }

  private translate(e: unknown): InvocationFailed {
    const name = this.opts.functionName;
    const msg = (e as Error)?.message ?? String(e);
    if (/memory limit/i.test(msg) || (this.isolate.isDisposed && !this.dead)) {
      this.kill('memory limit exceeded');
      return new InvocationFailed('memory-limit', `function ${name} exceeded its memory limit of ${Math.round(this.opts.memoryBytes / 2 ** 20)} MiB; the instance was replaced`, { cause: e });
    }
    if (this.isolate.isDisposed) return new InvocationFailed('start-failed', `function ${name}: instance ${this.id} ended: ${this.dead ?? msg}`, { cause: e });
    const stack = (e as Error)?.stack;
    this.opts.onLog('error', `uncaught ${stack ?? msg}`);
    return new InvocationFailed('handler-error', `function ${name} threw: ${msg}`, { cause: e });
  }

  private kill(reason: string): void {
    if (!this.dead) this.opts.onDead?.(reason);
    this.dead ??= reason;
    this.stopBackground();
    this.channels?.closeAll(reason);
    if (this.sink) closeHostResources(this.sink);
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
  }

  async memoryBytes(): Promise<number> {
    if (!this.isolate || this.isolate.isDisposed) return 0;
    const h = await this.isolate.getHeapStatistics();
    return h.total_heap_size + h.externally_allocated_size;
  }

  async dispose(reason: string): Promise<void> {
    // Reaped while idle: open WebSockets and streams keep the instance, up to MAX_HOLD_MS.
    if (reason.startsWith('idle') && this.channels?.open && !this.dead) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([this.channels.whenIdle(), new Promise<void>((r) => (t = setTimeout(r, MAX_HOLD_MS)))]);
      clearTimeout(t);
    }
    this.kill(reason);
  }
}
