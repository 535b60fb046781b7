// Isolate shells: a V8 isolate with a context holding the web globals, not yet bound to a
// function, and the spares kept ready per memory size so a cold start only loads the function.
import ivm from 'isolated-vm';
import { BOOT, installHost, type HostSink } from './bridge.js';

// The prelude is the same for every isolate: compile it once with a code cache and reuse the cache.
let preludeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

/** An isolate with a context holding the web globals, not yet bound to a function. */
export interface Shell {
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
export async function createSpareShell(memoryMb: number): Promise<Shell> {
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

export function takeShell(memoryMb: number): Shell {
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
// (new Isolate is synchronous) and its other steps take CPU from the request that just took a
// spare, so the refill waits for a moment with none in flight, up to ~100 ms (an A/B showed a
// refill started at once slowing the cold request it follows); four spares cover the wait.
let inflight = 0;
/** Counts a request in or out of flight (isolate.ts), so refills wait for a quiet moment. */
export const countInflight = (d: 1 | -1): void => void (inflight += d);
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

