// LLMOS's own keep-alive policy, "adaptive". Like hybrid-histogram it pre-warms before the
// earliest expected arrival and keeps the instance to a high percentile of the idle times, but:
//
//  1. It trusts an app's idle-time distribution only once it has seen enough of it. Hybrid turns
//     "representative" after a single idle time (one spike makes the bin counts' CV high) and then
//     bets on an exact repeat. Rare apps (a few invocations a day) are the ones that decide the
//     per-app cold start percentiles, and their idle times are irregular; so until 8 idle times
//     are known, adaptive keeps the instance for max(2 h, 1.5 x the longest idle time seen), <= 6 h.
//  2. ...unless the idle times seen so far already repeat (spread within 10%): then it is a timer
//     and pre-warming around the period is cheap and safe.
//  3. The percentiles come from a sliding window of the last 16 idle times, not a 4-hour
//     histogram of everything, so it follows changes in an app's rhythm; it pre-warms at the 5th
//     and keeps to the 90th percentile with 5% margins. The memory this saves on apps with many
//     invocations (whose cold start percentage a few extra cold starts hardly move) pays for the
//     long windows of rule 1.
//  4. Pre-warming needs only a 1-minute gap (not a whole histogram bin), and a 2-minute floor on
//     the keep-alive spares very frequent apps from thrashing on sub-minute percentiles.
//
// The constants were chosen among a few variants on the two Azure samples, their hash halves and
// two 8-hour windows of the full-day sample; docs/evaluation.md also checks samples that were not
// used for the choice (other seeds, 4-hour windows of the 8-hour sample).
import type { KeepAlivePolicy } from '../contracts/policies.js';
import { formatMs } from '../kernel/quantity.js';

const MINUTE = 60_000;

export interface AdaptiveState {
  /** The most recent inter-arrival times (ms), oldest first. */
  readonly its: readonly number[];
  /** The same, sorted ascending, so a decision costs no sort. */
  readonly sorted: readonly number[];
  readonly count: number;
  readonly lastArrival: number | null;
}

export interface AdaptiveConfig {
  /** Idle times remembered. */
  window: number;
  /** Keep-alive after an app's first invocation. */
  firstKeepMs: number;
  /** Idle times needed before percentiles are trusted. */
  fewSamples: number;
  /** With fewer samples keep this multiple of the longest idle time seen... */
  fewFactor: number;
  /** ...but no longer than this, and no shorter than this. */
  fewMaxMs: number;
  fewMinMs: number;
  /** At least regularMin idle times whose spread (max - min) is within this share of min count as periodic. */
  regularSpread: number;
  regularMin: number;
  /** Pre-warm at this quantile of the window's idle times, keep to that one. */
  loQ: number;
  hiQ: number;
  /** Taken off the pre-warm time and added to the keep-alive end. */
  margin: number;
  minKeepMs: number;
  /** Unload and pre-warm only when the gap before the pre-warm is at least this long. */
  minPrewarmGapMs: number;
  maxKeepMs: number;
}

export const ADAPTIVE_DEFAULTS: Readonly<AdaptiveConfig> = Object.freeze({
  window: 16,
  firstKeepMs: 2 * 60 * MINUTE,
  fewSamples: 8,
  fewFactor: 1.5,
  fewMaxMs: 6 * 60 * MINUTE,
  fewMinMs: 2 * 60 * MINUTE,
  regularSpread: 0.1,
  regularMin: 2,
  loQ: 0.05,
  hiQ: 0.9,
  margin: 0.05,
  minKeepMs: 2 * MINUTE,
  minPrewarmGapMs: MINUTE,
  maxKeepMs: 12 * 60 * MINUTE,
});

function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function quantile(sorted: readonly number[], p: number): number {
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  return sorted[lo]! + (sorted[Math.ceil(pos)]! - sorted[lo]!) * (pos - lo);
}

export function adaptiveKeepAlive(overrides: Partial<AdaptiveConfig> = {}): KeepAlivePolicy<AdaptiveState> {
  const c: AdaptiveConfig = { ...ADAPTIVE_DEFAULTS, ...overrides };
  return {
    name: 'adaptive',
    initialState: () => ({ its: [], sorted: [], count: 0, lastArrival: null }),
    observe(s, now) {
      if (s.lastArrival === null) return { ...s, count: 1, lastArrival: now };
      const it = now - s.lastArrival;
      const full = s.its.length >= c.window;
      const its = full ? [...s.its.slice(1), it] : [...s.its, it];
      const sorted = s.sorted.slice();
      if (full) sorted.splice(lowerBound(sorted, s.its[0]!), 1);
      sorted.splice(lowerBound(sorted, it), 0, it);
      return { its, sorted, count: s.count + 1, lastArrival: now };
    },
    decide(s) {
      if (s.its.length === 0) return { prewarmMs: 0, keepAliveMs: c.firstKeepMs, reason: `first invocation: keep ${formatMs(c.firstKeepMs)}` };
      const sorted = s.sorted;
      const max = sorted[sorted.length - 1]!;
      const regular = sorted.length >= c.regularMin && max - sorted[0]! <= c.regularSpread * sorted[0]!;
      if (sorted.length < c.fewSamples && !regular) {
        const until = Math.min(c.fewMaxMs, Math.max(c.fewMinMs, max * c.fewFactor));
        return { prewarmMs: 0, keepAliveMs: until, reason: `${sorted.length} idle times, longest ${formatMs(max)}: keep ${formatMs(until)}` };
      }
      const lo = quantile(sorted, c.loQ);
      const hi = quantile(sorted, c.hiQ);
      const until = Math.min(c.maxKeepMs, Math.max(c.minKeepMs, hi * (1 + c.margin)));
      const prewarm = lo * (1 - c.margin);
      if (prewarm >= c.minPrewarmGapMs && until > prewarm) {
        return { prewarmMs: prewarm, keepAliveMs: until - prewarm, reason: `idle ${formatMs(lo)}..${formatMs(hi)}: pre-warm at ${formatMs(prewarm)}, warm until ${formatMs(until)}` };
      }
      return { prewarmMs: 0, keepAliveMs: until, reason: `idle up to ${formatMs(hi)}: keep ${formatMs(until)}` };
    },
  };
}
