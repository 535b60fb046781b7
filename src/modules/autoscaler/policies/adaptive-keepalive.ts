// LLMOS's own keep-alive policy ("adaptive"). Draft; the simulator's evaluation drives it.
import type { KeepAlivePolicy } from '../../../contracts/policies.js';
import { formatMs } from './duration.js';

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
  window: number;
  firstKeepMs: number;
  fewSamples: number;
  fewFactor: number;
  fewMaxMs: number;
  loQ: number;
  hiQ: number;
  margin: number;
  minKeepMs: number;
  minPrewarmGapMs: number;
  maxKeepMs: number;
}

export const ADAPTIVE_DEFAULTS: Readonly<AdaptiveConfig> = Object.freeze({
  window: 32,
  firstKeepMs: 2 * 60 * MINUTE,
  fewSamples: 4,
  fewFactor: 1.5,
  fewMaxMs: 6 * 60 * MINUTE,
  loQ: 0.05,
  hiQ: 0.95,
  margin: 0.15,
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
      if (sorted.length < c.fewSamples) {
        const until = Math.min(c.fewMaxMs, Math.max(c.firstKeepMs, max * c.fewFactor));
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
