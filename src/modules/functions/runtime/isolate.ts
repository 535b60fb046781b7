// An isolate instance: a V8 isolate (own heap, memory limit) with one context holding the web
// globals and the compiled function module. Requests run on isolated-vm's thread pool, so the
// daemon's event loop stays free and a watchdog can measure the isolate's CPU time and dispose it
// when a request exceeds its CPU budget.
import ivm from 'isolated-vm';
import { InvocationFailed } from '../failures.js';
import { BOOT, installHost, type HostSink } from './bridge.js';
import type { Instance, InvokeRequest, InvokeResponse } from './instance.js';
import { MODULE_GLOBAL } from '../source.js';

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
}

/** Requests averaging less CPU than this run their synchronous part on the daemon's thread. */
const FAST_PATH_CPU_MS = 0.5;
/** Requests an instance serves on the pool before it may take the fast path. */
const FAST_PATH_AFTER = 16;

// The prelude is the same for every isolate: compile it once with a code cache and reuse the cache.
let preludeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

/** An isolate with a context holding the web globals, not yet bound to a function. */
interface Shell {
  isolate: ivm.Isolate;
  context: ivm.Context;
  /** Where console output goes; set when a function claims the shell. */
  sink: HostSink;
}

const bootOptions = () => ({ filename: 'llmos:prelude', ...(preludeCache ? { cachedData: preludeCache } : { produceCachedData: true }) });

/** A shell made on the request path: synchronous, each step well under a millisecond. */
function createShell(memoryMb: number): Shell {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  const sink = { log: (_l: string, _t: string) => undefined as void };
  try {
    const context = isolate.createContextSync();
    installHost(context, sink);
    const prelude: ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> } = isolate.compileScriptSync(BOOT, bootOptions());
    if (!preludeCache && prelude.cachedData) preludeCache = prelude.cachedData;
    prelude.runSync(context);
    prelude.release();
    return { isolate, context, sink };
  } catch (e) {
    if (!isolate.isDisposed) isolate.dispose();
    throw e;
  }
}

/**
 * A spare shell, made off the request path: the steps run on isolated-vm's threads so the event
 * loop stays free, and a warm-up request gets V8 to compile the request path ahead of time.
 */
async function createSpareShell(memoryMb: number): Promise<Shell> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  const sink = { log: (_l: string, _t: string) => undefined as void };
  try {
    const context = await isolate.createContext();
    installHost(context, sink);
    const prelude: ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> } = await isolate.compileScript(BOOT, bootOptions());
    if (!preludeCache && prelude.cachedData) preludeCache = prelude.cachedData;
    await prelude.run(context);
    prelude.release();
    await context.eval('__llmos_warmup()');
    return { isolate, context, sink };
  } catch (e) {
    if (!isolate.isDisposed) isolate.dispose();
    throw e;
  }
}

// Spare shells ("stem cells"), made ahead per memory size so a cold start only has to load the
// function's own code: isolate and context creation (~1.5 ms) leave the request path.
const spares = new Map<number, Shell[]>();
let spareTarget = 0;
let refilling = false;

async function refill(): Promise<void> {
  if (refilling) return;
  refilling = true;
  try {
    for (;;) {
      const next = [...spares.entries()].find(([, list]) => list.length < spareTarget);
      if (!next || spareTarget <= 0) return;
      const shell = await createSpareShell(next[0]);
      // The size may have been dropped (or spares turned off) meanwhile.
      if (spares.get(next[0]) === next[1] && next[1].length < spareTarget) next[1].push(shell);
      else shell.isolate.dispose();
    }
  } catch {
    // Out of memory or similar: the next take creates inline and tries the refill again.
  } finally {
    refilling = false;
  }
}

function takeShell(memoryMb: number): Shell {
  if (spareTarget <= 0) return createShell(memoryMb);
  let list = spares.get(memoryMb);
  if (!list) {
    // Keep spares for a few sizes only; the default size is by far the most common.
    if (spares.size >= 4) {
      const [mb, old] = spares.entries().next().value!;
      spares.delete(mb);
      for (const sh of old) sh.isolate.dispose();
    }
    spares.set(memoryMb, (list = []));
  }
  const shell = list.shift() ?? createShell(memoryMb);
  scheduleRefill(0);
  return shell;
}

// Requests running in any isolate. Making a spare blocks the event loop for about a millisecond
// (new Isolate is synchronous), so the refill waits for a moment with none in flight, up to ~100 ms.
let inflight = 0;
let refillTimer: NodeJS.Timeout | undefined;
function scheduleRefill(tries: number): void {
  if (refillTimer && tries === 0) return;
  refillTimer = setTimeout(() => {
    refillTimer = undefined;
    if (inflight > 0 && tries < 20) scheduleRefill(tries + 1);
    else void refill();
  }, 5);
  refillTimer.unref();
}

/** Sets how many spare shells to keep per memory size (0 disables and disposes them); `sizesMb` are made now. */
export function setSpareShells(n: number, sizesMb: number[] = []): void {
  spareTarget = Math.max(0, n);
  for (const list of spares.values()) for (const sh of list.splice(spareTarget)) sh.isolate.dispose();
  if (spareTarget === 0) {
    clearTimeout(refillTimer);
    refillTimer = undefined;
    return spares.clear();
  }
  for (const mb of sizesMb) if (!spares.has(mb)) spares.set(mb, []);
  void refill();
}

export class IsolateInstance implements Instance {
  dead: string | undefined;
  private isolate!: ivm.Isolate;
  private context!: ivm.Context;
  private dispatch!: ivm.Reference<(m: string, u: string, h: [string, string][], b: Uint8Array | null) => Promise<unknown>>;
  /** Code cache produced by this instance's compile, for the next instance of the function. */
  producedCache?: ivm.ExternalCopy<ArrayBuffer>;
  /** Moving average of CPU time per request, ms: picks the fast path (see invoke). */
  private cpuEwmaMs = 0;
  private served = 0;

  private constructor(private readonly opts: IsolateOptions) {
    this.id = opts.id;
  }
  readonly id: string;

  static async start(opts: IsolateOptions): Promise<IsolateInstance> {
    const inst = new IsolateInstance(opts);
    try {
      inst.setup();
    } catch (e) {
      const oom = inst.isolate?.isDisposed || /memory limit/i.test((e as Error).message);
      inst.kill('start failed');
      throw new InvocationFailed(oom ? 'memory-limit' : 'start-failed', `function ${opts.functionName} failed to start: ${(e as Error).message}`, { cause: e });
    }
    return inst;
  }

  // Synchronous on purpose: each step is sub-millisecond, and async hops would cost more than they save.
  private setup(): void {
    const { opts } = this;
    const shell = takeShell(Math.max(8, Math.floor(opts.memoryBytes / 2 ** 20)));
    const { isolate, context } = shell;
    this.isolate = isolate;
    this.context = context;
    shell.sink.log = opts.onLog;
    const g = context.global;
    const script: ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> } = isolate.compileScriptSync(opts.code, { filename: `fn:${opts.functionName}`, ...(opts.codeCache ? { cachedData: opts.codeCache } : { produceCachedData: true }) });
    if (script.cachedData && !opts.codeCache) this.producedCache = script.cachedData;
    script.runSync(context, { timeout: Math.max(50, opts.cpuMs) });
    script.release();
    g.setSync('__llmos_env', new ivm.ExternalCopy(opts.env).copyInto());
    const problem = context.evalSync(`(() => { const p = __llmos_bind(globalThis.${MODULE_GLOBAL}, __llmos_env); delete globalThis.__llmos_env; return p; })()`) as string;
    if (problem) throw new Error(problem);
    this.dispatch = g.getSync('__llmos_dispatch', { reference: true }) as typeof this.dispatch;
  }

  async invoke(req: InvokeRequest, { timeoutMs }: { timeoutMs: number }): Promise<InvokeResponse> {
    if (this.dead) throw new InvocationFailed('start-failed', `instance ${this.id} is gone: ${this.dead}`);
    const name = this.opts.functionName;
    const cpu0 = this.isolate.cpuTime;
    const budgetNs = BigInt(Math.round(this.opts.cpuMs * 1e6));
    let watchdog: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let breach: InvocationFailed | undefined;
    const limits = new Promise<never>((_, reject) => {
      const check = () => {
        if (this.isolate.isDisposed) return;
        const used = this.isolate.cpuTime - cpu0;
        if (used >= budgetNs) {
          breach = new InvocationFailed('cpu-limit', `function ${name} exceeded its CPU time limit of ${this.opts.cpuMs} ms; the instance was replaced`);
          this.kill('cpu time limit exceeded');
          reject(breach);
          return;
        }
        // Check again when the rest of the budget could at the earliest be used up.
        watchdog = setTimeout(check, Math.max(2, Number(budgetNs - used) / 1e6));
      };
      watchdog = setTimeout(check, Math.max(2, this.opts.cpuMs));
      deadline = setTimeout(() => reject(new InvocationFailed('timeout', `function ${name} did not answer within its timeout of ${timeoutMs} ms`)), timeoutMs);
    });
    const body = req.body && req.body.byteLength ? req.body : null;
    inflight++;
    type Out = [number, string, [string, string][], ArrayBuffer | null];
    const args: [string, string, [string, string][], Uint8Array | null] = [req.method, req.url, req.headers, body];
    let run: Promise<Out>;
    // Fast path: a function whose requests take little CPU runs its synchronous part on this
    // thread (no hop to isolated-vm's pool and back), bounded by V8's timeout at the CPU limit.
    // Work after an await runs on the pool either way; slow functions always use the pool so
    // they never hold up the event loop.
    if (this.opts.fastPath && this.served >= FAST_PATH_AFTER && this.cpuEwmaMs < FAST_PATH_CPU_MS) {
      try {
        run = this.dispatch.applySync(undefined, args, { arguments: { copy: true }, result: { promise: true, copy: true }, timeout: Math.max(1, Math.ceil(this.opts.cpuMs)) }) as unknown as Promise<Out>;
      } catch (e) {
        inflight--;
        clearTimeout(watchdog);
        clearTimeout(deadline);
        limits.catch(() => undefined);
        if (/timed out/i.test((e as Error)?.message ?? '')) {
          this.kill('cpu time limit exceeded');
          throw new InvocationFailed('cpu-limit', `function ${name} exceeded its CPU time limit of ${this.opts.cpuMs} ms; the instance was replaced`);
        }
        throw this.translate(e);
      }
    } else run = this.dispatch.apply(undefined, args, { arguments: { copy: true }, result: { promise: true, copy: true } }) as unknown as Promise<Out>;
    try {
      const [status, statusText, headers, resBody] = await Promise.race([run, limits]);
      return { status, statusText, headers, body: resBody ? new Uint8Array(resBody) : null };
    } catch (e) {
      if (e instanceof InvocationFailed) throw e;
      if (breach) throw breach;
      throw this.translate(e);
    } finally {
      inflight--;
      clearTimeout(watchdog);
      clearTimeout(deadline);
      run.catch(() => undefined);
      this.served++;
      if (!this.isolate.isDisposed) this.cpuEwmaMs = 0.8 * this.cpuEwmaMs + 0.2 * (Number(this.isolate.cpuTime - cpu0) / 1e6);
    }
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
    this.dead ??= reason;
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
  }

  async memoryBytes(): Promise<number> {
    if (!this.isolate || this.isolate.isDisposed) return 0;
    const h = await this.isolate.getHeapStatistics();
    return h.total_heap_size + h.externally_allocated_size;
  }

  async dispose(reason: string): Promise<void> {
    this.kill(reason);
  }
}
