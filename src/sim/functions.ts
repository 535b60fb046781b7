// Keep-alive simulation on an Azure-Functions-format trace, after "Serverless in the Wild" (ATC'20):
// each app has one instance that serves all its functions' invocations (concurrently if need be);
// an invocation is cold when the app's instance is not loaded at its arrival. After each busy
// period ends, the keep-alive policy decides how long to keep the instance, or when to unload it
// and pre-warm it again. The policies are the ones the daemon runs, imported unchanged.
import type { KeepAlivePolicy } from '../contracts/policies.js';
import { parseKeepAlive } from '../policies/keepalive.js';
import { InvalidArgument } from '../kernel/errors.js';
import type { AppTrace, FunctionTrace } from './traces.js';
import { quantileSorted, rngFor } from './rng.js';

const MINUTE = 60_000;

/** Arrivals of one app: times (ms since the trace's midnight) and execution times, in time order. */
export interface AppArrivals {
  id: string;
  memoryMb: number;
  /** Every function of the app is timer-triggered (when the trace says; Azure 2019 samples may not). */
  timer: boolean;
  times: Float64Array;
  durations: Float64Array;
}

/**
 * Spreads each minute's invocations uniformly at random within the minute (seeded per app), as the
 * paper's simulator does with its per-minute counts; each runs for its function's average time.
 */
export function expandArrivals(trace: FunctionTrace, seed: number): AppArrivals[] {
  return trace.apps.map((app) => expandApp(app, trace.startMinute, seed));
}

function expandApp(app: AppTrace, startMinute: number, seed: number): AppArrivals {
  const rng = rngFor(seed, app.id);
  let n = 0;
  for (const f of app.functions) for (const c of f.perMinute) n += c;
  const pairs: Array<[number, number]> = [];
  const times = new Float64Array(n);
  const durations = new Float64Array(n);
  let k = 0;
  const minutes = app.functions[0]?.perMinute.length ?? 0;
  for (let m = 0; m < minutes; m++) {
    const base = (startMinute + m) * MINUTE;
    pairs.length = 0;
    for (const f of app.functions) {
      const c = f.perMinute[m]!;
      for (let j = 0; j < c; j++) pairs.push([base + rng() * MINUTE, f.durationMs]);
    }
    if (pairs.length > 1) pairs.sort((a, b) => a[0] - b[0]);
    for (const [t, d] of pairs) {
      times[k] = t;
      durations[k++] = d;
    }
  }
  return { id: app.id, memoryMb: app.memoryMb, timer: app.functions.length > 0 && app.functions.every((f) => f.trigger === 'timer'), times, durations };
}

export interface AppOutcome {
  invocations: number;
  coldStarts: number;
  /** Loaded but idle, ms. */
  idleMs: number;
  /** Loaded (busy or idle), ms. */
  loadedMs: number;
}

/** Replays one app's arrivals through a keep-alive policy; `endMs` clips the last keep-alive window. */
export function simulateApp(a: AppArrivals, policy: KeepAlivePolicy, endMs: number): AppOutcome {
  const n = a.times.length;
  if (n === 0) return { invocations: 0, coldStarts: 0, idleMs: 0, loadedMs: 0 };
  let state = policy.initialState({ memoryMb: a.memoryMb, timer: a.timer });
  let cold = 1; // nothing is loaded before the first invocation
  let idle = 0;
  let busy = 0;
  let busyUntil = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = a.times[i]!;
    const end = t + a.durations[i]!;
    if (i > 0 && t >= busyUntil) {
      // The instance went idle at busyUntil; the policy decided then, from what it had seen so far.
      const d = policy.decide(state, busyUntil);
      const from = busyUntil + d.prewarmMs;
      const to = from + d.keepAliveMs;
      idle += Math.max(0, Math.min(t, to) - from);
      if (t < from || t > to) cold++;
    }
    busy += Math.max(0, end - Math.max(t, busyUntil));
    if (end > busyUntil) busyUntil = end;
    state = policy.observe(state, t);
  }
  if (busyUntil < endMs) {
    const d = policy.decide(state, busyUntil);
    const from = busyUntil + d.prewarmMs;
    idle += Math.max(0, Math.min(endMs, from + d.keepAliveMs) - from);
  }
  return { invocations: n, coldStarts: cold, idleMs: idle, loadedMs: idle + busy };
}

export interface FunctionPolicyResult {
  name: string;
  /** 3rd quartile of the per-app cold start percentage. */
  coldStartP75Pct: number;
  /** Wasted memory time (idle MB x time) relative to fixed:10m = 100. */
  wastedMemoryPct: number;
  coldStarts: number;
  instanceSeconds: number;
  invocations: number;
  wastedMemoryMbHours: number;
  /** Per-app cold start percentage at the 10th, 25th, 50th, 75th, 90th, 99th percentiles. */
  coldStartDistribution: { p10: number; p25: number; p50: number; p75: number; p90: number; p99: number };
  /** Share of apps with no cold start except the unavoidable first one. */
  appsOnlyFirstColdPct: number;
}

export const ALL_FUNCTION_POLICIES = ['fixed:5m', 'fixed:10m', 'fixed:20m', 'fixed:60m', 'hybrid', 'adaptive', 'cost', 'oracle'] as const;

export function expandPolicyList(spec: string): string[] {
  if (spec === 'all') return [...ALL_FUNCTION_POLICIES];
  const names = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgument('--policy needs at least one policy');
  for (const n of names) if (n !== 'oracle') parseKeepAlive(n); // validate up front, before any work
  return names;
}

interface Totals {
  perAppCold: number[];
  onlyFirst: number;
  cold: number;
  inv: number;
  wastedMbMs: number;
  loadedMs: number;
}

function runPolicy(apps: readonly AppArrivals[], name: string, endMs: number, tick: () => void, resolve: (name: string) => KeepAlivePolicy): Totals {
  const t: Totals = { perAppCold: [], onlyFirst: 0, cold: 0, inv: 0, wastedMbMs: 0, loadedMs: 0 };
  const policy = name === 'oracle' ? null : resolve(name);
  for (const a of apps) {
    let o: AppOutcome;
    if (policy) o = simulateApp(a, policy, endMs);
    else {
      // Oracle bound: the instance is loaded exactly while it runs, so only the first invocation is cold.
      const busy = simulateApp(a, { name: 'oracle', initialState: () => null, observe: (s) => s, decide: () => ({ prewarmMs: 0, keepAliveMs: 0, reason: '' }) }, endMs);
      o = { invocations: busy.invocations, coldStarts: busy.invocations > 0 ? 1 : 0, idleMs: 0, loadedMs: busy.loadedMs };
    }
    tick();
    if (o.invocations === 0) continue;
    t.perAppCold.push((100 * o.coldStarts) / o.invocations);
    if (o.coldStarts === 1) t.onlyFirst++;
    t.cold += o.coldStarts;
    t.inv += o.invocations;
    t.wastedMbMs += o.idleMs * a.memoryMb;
    t.loadedMs += o.loadedMs;
  }
  t.perAppCold.sort((x, y) => x - y);
  return t;
}

export interface FunctionSimOptions {
  policies: string[];
  seed?: number;
  onProgress?: (done: number, total: number, label: string) => void;
  /** How a policy name becomes a policy; parseKeepAlive unless an experiment supplies variants. */
  resolve?: (name: string) => KeepAlivePolicy;
}

export interface FunctionSimResult {
  apps: number;
  invocations: number;
  minutes: number;
  seed: number;
  policies: FunctionPolicyResult[];
}

export function simulateFunctions(trace: FunctionTrace, o: FunctionSimOptions): FunctionSimResult {
  const seed = o.seed ?? 1;
  const apps = expandArrivals(trace, seed);
  const endMs = (trace.startMinute + trace.minutes) * MINUTE;
  // fixed:10m is the normalisation baseline; run it even when not asked for.
  const runs = o.policies.includes('fixed:10m') ? o.policies : [...o.policies, 'fixed:10m'];
  const total = runs.length * apps.length;
  let done = 0;
  const totals = new Map<string, Totals>();
  for (const name of runs) totals.set(name, runPolicy(apps, name, endMs, () => o.onProgress?.(++done, total, name), o.resolve ?? parseKeepAlive));
  const base = totals.get('fixed:10m')!.wastedMbMs;
  const policies = o.policies.map((name): FunctionPolicyResult => {
    const t = totals.get(name)!;
    const q = (p: number) => round(quantileSorted(t.perAppCold, p), 2);
    return {
      name,
      coldStartP75Pct: q(0.75),
      wastedMemoryPct: round(base > 0 ? (100 * t.wastedMbMs) / base : 0, 2),
      coldStarts: t.cold,
      instanceSeconds: Math.round(t.loadedMs / 1000),
      invocations: t.inv,
      wastedMemoryMbHours: round(t.wastedMbMs / 3_600_000, 1),
      coldStartDistribution: { p10: q(0.1), p25: q(0.25), p50: q(0.5), p75: q(0.75), p90: q(0.9), p99: q(0.99) },
      appsOnlyFirstColdPct: round((100 * t.onlyFirst) / Math.max(1, t.perAppCold.length), 1),
    };
  });
  return { apps: apps.filter((a) => a.times.length > 0).length, invocations: totals.get(runs[0]!)!.inv, minutes: trace.minutes, seed, policies };
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
