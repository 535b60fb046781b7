// console (to the function's log), timers (through the host's sleep), structuredClone
// (@ungap/structured-clone: Date, Map, Set, typed arrays, NaN, cycles...), queueMicrotask,
// reportError, performance and navigator.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { deserialize, serialize } from '@ungap/structured-clone';
import { DOMException } from './dom-exception.js';
import { host } from './host.js';

export function inspect(v: any, depth = 0): string {
  if (typeof v === 'string') return depth ? JSON.stringify(v) : v;
  if (v instanceof Error) return v.stack || String(v);
  if (typeof v === 'function') return '[Function ' + (v.name || 'anonymous') + ']';
  if (typeof v === 'bigint') return v + 'n';
  if (typeof v === 'symbol' || v === undefined) return String(v);
  const tag = v && typeof v === 'object' ? Object.prototype.toString.call(v).slice(8, -1) : '';
  if ((tag === 'Headers' || tag === 'URLSearchParams' || tag === 'FormData') && typeof v.entries === 'function') return tag + ' ' + inspect(Object.fromEntries(v.entries()), depth + 1);
  if (tag === 'URL') return 'URL ' + v.href;
  if (v instanceof Map) return 'Map(' + v.size + ') ' + inspect(Object.fromEntries(v), depth + 1);
  if (v instanceof Set) return 'Set(' + v.size + ') ' + inspect([...v], depth + 1);
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x + 'n' : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

export const console: Record<string, (...a: unknown[]) => void> = {};
for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) console[level] = (...a: unknown[]) => host.log(level === 'trace' ? 'debug' : level, a.map((x) => inspect(x)).join(' '));

// Timers: each is a host sleep; a cleared timer's callback is dropped when the sleep ends.
let timerSeq = 0;
const timers = new Map<number, boolean>();
export const setTimeout = (fn: (...a: unknown[]) => void, ms = 0, ...args: unknown[]): number => {
  const id = ++timerSeq;
  timers.set(id, true);
  // A sleep resolved false was refused by the host (too many pending timers): it must not fire.
  void host.sleep(Math.max(0, Number(ms) || 0)).then((fired) => {
    if (timers.delete(id) && fired !== false) fn(...args);
  });
  return id;
};
export const clearTimeout = (id: number): void => void timers.delete(id);
export const setInterval = (fn: (...a: unknown[]) => void, ms = 0, ...args: unknown[]): number => {
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

export function structuredClone(value: unknown, options?: { transfer?: unknown[] }): any {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  void options;
  try {
    return deserialize(serialize(value));
  } catch (e) {
    throw new DOMException((e as Error)?.message ?? 'could not be cloned', 'DataCloneError');
  }
}

export const queueMicrotask = (fn: () => void): void => {
  if (typeof fn !== 'function') throw new TypeError("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.");
  void Promise.resolve().then(() => {
    try {
      fn();
    } catch (e) {
      reportError(e);
    }
  });
};

export function reportError(e: unknown): void {
  host.log('error', 'uncaught ' + inspect(e));
}

const timeOrigin = Date.now();
export const performance = {
  timeOrigin,
  now: (): number => Date.now() - timeOrigin,
  toJSON: () => ({ timeOrigin }),
};
Object.defineProperty(performance, Symbol.toStringTag, { value: 'Performance' });

export const navigator = { userAgent: 'LLMOS', hardwareConcurrency: 1, language: 'en' };
Object.defineProperty(navigator, Symbol.toStringTag, { value: 'Navigator' });
