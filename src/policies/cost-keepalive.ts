// LLMOS's cost-aware keep-alive policy, "cost". After each invocation it picks the pre-warm time P
// and the keep-alive end K that minimise the expected cost of the next idle time, over the app's
// own recent idle times plus a small population prior:
//
//   cost(P, K) = tau x P(idle < P or idle > K)                (a cold start, in minutes of memory)
//              + E[memory-time kept idle before the next call]
//
// This is ski rental on the empirical distribution: keep an instance through a gap when the chance
// that the next call comes inside it, times what a cold start is worth, exceeds the idle time paid.
// What a cold start is worth (tau) is what makes the policy balanced:
//  - it grows for rarely invoked apps (x rate0 / invocations per day, up to tauMax): one cold start
//    moves a rare app's cold-start percentage a lot, a busy app's hardly at all;
//  - it shrinks for big functions (x (memRef / memoryMb)^memExp): idle memory is what is wasted.
// Apps with few idle times seen borrow from a prior (quantiles of the first idle times of apps in
// the first half of the Azure 2019 full-day sample, weight `priorWeight` samples), so a new app is
// neither dropped at once nor kept for hours by default. Timer-triggered apps, and apps whose last
// `regularMin` idle times repeat within `regularSpread`, are periodic: pre-warm a minute before the
// shortest and keep a minute past the longest (arrivals are known to the minute). Windows run from
// the last arrival, as the idle times do, though the decision comes when the instance goes idle.
//
// The constants were chosen on the first (hash) half of each Azure 2019 sample only (whole, and its
// time windows replayed on their own); docs/evaluation.md reports the other halves and the whole samples.
import type { KeepAlivePolicy } from '../contracts/policies.js';
import { formatMs } from '../kernel/quantity.js';

const MINUTE = 60_000;

/** First idle times of apps (minutes): quantiles p5..p95 of the training half, then a tail. */
const PRIOR_MINUTES = [0.05, 0.3, 0.8, 1.3, 2.2, 3.1, 4.9, 8.6, 17.5, 35, 61, 90, 119, 180, 240];

export interface CostConfig {
  /** Idle times remembered. */
  window: number;
  /** What one cold start is worth, in ms of the instance kept idle (reference memory, busy app). */
  tauMs: number;
  /** Apps with fewer invocations a day than this get a proportionally dearer cold start... */
  rate0PerDay: number;
  /** ...up to this factor. */
  tauMaxFactor: number;
  /** Memory size the tau is stated for, and how strongly a larger size shortens the keep-alive. */
  memRefMb: number;
  memExp: number;
  /** Prior idle times (ms) and their total weight in samples. */
  prior: readonly number[];
  priorWeight: number;
  /** Pre-warm candidates: these quantiles of the idle-time distribution (0: no pre-warm). */
  prewarmQuantiles: readonly number[];
  /** Taken off the pre-warm time and added to the keep-alive end. */
  margin: number;
  minKeepMs: number;
  maxKeepMs: number;
  /** Unload and pre-warm only when the gap before the pre-warm is at least this long. */
  minPrewarmGapMs: number;
  /** Before this long has passed since an app's first call, its rate is measured over this long. */
  rateSpanMinMs: number;
  /** Periodic detection for apps not known to be timers. */
  regularMin: number;
  regularSpread: number;
  /** Window around a period: this share either side, plus this slack after. */
  periodMargin: number;
  periodSlackMs: number;
  /** Pre-warm this much earlier than the period's share allows (the per-minute trace jitters by a minute). */
  periodLeadMs: number;
}

export const COST_DEFAULTS: Readonly<CostConfig> = Object.freeze({
  window: 128,
  tauMs: 23.5 * MINUTE,
  rate0PerDay: 300,
  tauMaxFactor: 18,
  memRefMb: 150,
  memExp: 1.2,
  prior: PRIOR_MINUTES.map((m) => m * MINUTE),
  priorWeight: 0.7,
  prewarmQuantiles: [0, 0.01, 0.02, 0.05, 0.1, 0.2],
  margin: 0.02,
  minKeepMs: MINUTE,
  maxKeepMs: 150 * MINUTE,
  minPrewarmGapMs: MINUTE,
  rateSpanMinMs: 60 * MINUTE,
  regularMin: 5,
  regularSpread: 0.3,
  periodMargin: 0.03,
  periodSlackMs: MINUTE,
  periodLeadMs: MINUTE,
});

export interface CostState {
  /** The most recent idle (inter-arrival) times, ms, oldest first, and the same sorted. */
  readonly its: readonly number[];
  readonly sorted: readonly number[];
  readonly count: number;
  readonly firstArrival: number | null;
  readonly lastArrival: number | null;
  readonly memoryMb: number;
  readonly timer: boolean;
}

function lowerBound(sorted: ArrayLike<number>, x: number, end = sorted.length): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function costKeepAlive(overrides: Partial<CostConfig> = {}): KeepAlivePolicy<CostState> {
  const c: CostConfig = { ...COST_DEFAULTS, ...overrides };
  const priorEach = c.prior.length ? c.priorWeight / c.prior.length : 0;
  return {
    name: 'cost',
    initialState: (fn) => ({ its: [], sorted: [], count: 0, firstArrival: null, lastArrival: null, memoryMb: fn?.memoryMb ?? c.memRefMb, timer: fn?.timer ?? false }),
    observe(s, now) {
      if (s.lastArrival === null) return { ...s, count: 1, firstArrival: now, lastArrival: now };
      const it = now - s.lastArrival;
      const full = s.its.length >= c.window;
      const its = full ? [...s.its.slice(1), it] : [...s.its, it];
      const sorted = s.sorted.slice();
      if (full) sorted.splice(lowerBound(sorted, s.its[0]!), 1);
      sorted.splice(lowerBound(sorted, it), 0, it);
      return { ...s, its, sorted, count: s.count + 1, lastArrival: now };
    },
    decide(s, now) {
      // The idle times run from arrival to arrival, but the decision is taken when the instance goes
      // idle, `off` later: the windows are shifted by it (else a timer whose job runs 10 s is pre-warmed
      // 10 s late and misses the next call).
      const off = s.lastArrival !== null ? Math.max(0, now - s.lastArrival) : 0;
      const period = periodic(s, c, off);
      if (period) return period;
      // Samples (weight 1) merged with the prior (weight priorEach each), with prefix sums of
      // weight and weighted value, so each candidate (P, K) costs O(1).
      const vals: number[] = [];
      const weights: number[] = [];
      for (let i = 0, j = 0; i < s.sorted.length || j < c.prior.length; ) {
        const fromSamples = j >= c.prior.length || (i < s.sorted.length && s.sorted[i]! <= c.prior[j]!);
        vals.push(fromSamples ? s.sorted[i++]! : c.prior[j++]!);
        weights.push(fromSamples ? 1 : priorEach);
      }
      const n = vals.length;
      const W = new Float64Array(n + 1);
      const V = new Float64Array(n + 1);
      for (let k = 0; k < n; k++) {
        W[k + 1] = W[k]! + weights[k]!;
        V[k + 1] = V[k]! + weights[k]! * vals[k]!;
      }
      const total = W[n]!;
      const perDay = (s.count / Math.max(c.rateSpanMinMs, now - (s.firstArrival ?? now))) * 24 * 60 * MINUTE;
      const tau = c.tauMs * Math.min(c.tauMaxFactor, Math.max(1, c.rate0PerDay / Math.max(perDay, 1e-9))) * Math.pow(c.memRefMb / Math.max(1, s.memoryMb), c.memExp);
      let best = Infinity;
      let bestP = 0;
      let bestK = 0;
      for (const q of c.prewarmQuantiles) {
        let P = 0;
        if (q > 0) {
          let idx = 0;
          while (idx < n - 1 && W[idx + 1]! <= q * total) idx++;
          P = vals[idx]! * (1 - c.margin);
          if (P < c.minPrewarmGapMs) continue;
        }
        const below = lowerBound(vals, P);
        for (let k = below; k <= n; k++) {
          const K = k === 0 ? P : Math.max(P, vals[k - 1]! * (1 + c.margin));
          const covered = W[k]! - W[below]!;
          const over = total - W[k]!;
          const cost = tau * (W[below]! + over) + (V[k]! - V[below]!) - covered * P + over * (K - P);
          if (cost < best) [best, bestP, bestK] = [cost, P, K];
        }
      }
      const until = Math.min(c.maxKeepMs, Math.max(bestP + c.minKeepMs, bestK)) - off;
      bestP = bestP - off >= c.minPrewarmGapMs ? bestP - off : 0;
      const basis = `${s.sorted.length} idle times${s.sorted.length < 8 ? ' + prior' : ''}, ${perDay.toFixed(perDay < 10 ? 1 : 0)} calls/day, a cold start worth ${formatMs(tau)}`;
      return bestP > 0
        ? { prewarmMs: bestP, keepAliveMs: until - bestP, reason: `cost: ${basis}: pre-warm at ${formatMs(bestP)}, warm until ${formatMs(until)}` }
        : keepFor(Math.max(c.minKeepMs, until), `cost: ${basis}`);
    },
  };
}

/** The window around a period, for timers (one idle time suffices) and repeating idle times. */
function periodic(s: CostState, c: CostConfig, off: number) {
  if (s.its.length < (s.timer ? 1 : c.regularMin)) return undefined;
  const recent = s.its.slice(-c.regularMin);
  const lo = Math.min(...recent);
  const hi = Math.max(...recent);
  if (hi - lo > c.regularSpread * lo) return undefined;
  const from = lo * (1 - c.periodMargin) - c.periodLeadMs - off;
  const until = hi * (1 + c.periodMargin) + c.periodSlackMs - off;
  const what = `period ${formatMs(lo)}${hi > lo ? `..${formatMs(hi)}` : ''}${s.timer ? ' (timer)' : ''}`;
  if (from >= c.minPrewarmGapMs) return { prewarmMs: from, keepAliveMs: until - from, reason: `${what}: pre-warm at ${formatMs(from)}, warm until ${formatMs(until)}` };
  return keepFor(Math.max(c.minKeepMs, until), what);
}

/** Kept warm from now, for `ms`; the reason names the time kept. */
function keepFor(ms: number, why: string) {
  return { prewarmMs: 0, keepAliveMs: ms, reason: `${why}: keep ${formatMs(ms)}` };
}
