// Keep-alive policies for function instances: how long an idle instance stays loaded after an
// invocation ends, and whether to unload it and pre-warm it again later. Pure functions of the
// invocation history and the time passed in; the functions module and the simulator both run them.
//
//  - fixed:TTL   keep the instance TTL after each invocation (the industry default, e.g. 10 min).
//  - hybrid      the hybrid-histogram policy of "Serverless in the Wild" (Shahrad et al., ATC'20).
//  - adaptive    LLMOS's first own policy (see adaptive-keepalive.ts).
//  - cost        LLMOS's cost-aware policy, the default (see cost-keepalive.ts).
import type { KeepAliveDecision, KeepAlivePolicy } from '../contracts/policies.js';
import { InvalidArgument } from '../kernel/errors.js';
import { formatMs, parseDuration } from '../kernel/quantity.js';
import { adaptiveKeepAlive } from './adaptive-keepalive.js';
import { costKeepAlive } from './cost-keepalive.js';

const MINUTE = 60_000;

export function fixedKeepAlive(ttlMs: number): KeepAlivePolicy<null> {
  if (!(ttlMs >= 0) || !Number.isFinite(ttlMs)) throw new InvalidArgument(`keep-alive TTL must be a finite duration >= 0, got ${ttlMs}`);
  const name = `fixed:${formatMs(ttlMs)}`;
  const decision: KeepAliveDecision = { prewarmMs: 0, keepAliveMs: ttlMs, reason: `fixed: keep ${formatMs(ttlMs)} after each invocation` };
  return {
    name,
    initialState: () => null,
    observe: (s) => s,
    decide: () => decision,
  };
}

export interface HybridConfig {
  /** Histogram range; idle times beyond it are out of bounds (paper: 4 h). */
  rangeMs: number;
  /** Bin width (paper: 1 minute). */
  binMs: number;
  /** Pre-warm at this percentile of idle times (paper: 5th). */
  headPct: number;
  /** Keep alive to this percentile (paper: 99th). */
  tailPct: number;
  /** Margin taken off the pre-warm window and added to the keep-alive window (paper: 10%). */
  margin: number;
  /** Below this coefficient of variation of the bin counts the histogram is not representative (paper: 2). */
  cvThreshold: number;
  /** Above this share of out-of-bounds idle times, forecast the next idle time instead (paper: 50%). */
  oobThreshold: number;
  /** Margin around the forecast idle time in the out-of-bounds case (paper: 15%). */
  forecastMargin: number;
}

export const HYBRID_DEFAULTS: Readonly<HybridConfig> = Object.freeze({
  rangeMs: 4 * 60 * MINUTE,
  binMs: MINUTE,
  headPct: 5,
  tailPct: 99,
  margin: 0.1,
  cvThreshold: 2,
  oobThreshold: 0.5,
  forecastMargin: 0.15,
});

/** Bins per chunk: observe copies one chunk and the chunk list, not the whole histogram. */
const CHUNK = 16;

export interface HybridState {
  /** Idle-time counts per bin, in chunks of CHUNK bins (copy-on-write, so observe stays cheap and pure). */
  readonly bins: ReadonlyArray<readonly number[]>;
  /** Idle times that fell inside the range. */
  readonly inRange: number;
  /** Sum over bins of count^2, kept so the CV is O(1) per decision. */
  readonly sumSq: number;
  /** Idle times beyond the range. */
  readonly oob: number;
  /** Last few out-of-bounds idle times (ms), for the forecast. */
  readonly recentOob: readonly number[];
  readonly lastArrival: number | null;
}

/**
 * The hybrid-histogram policy. The idle time recorded is the time between consecutive invocation
 * arrivals (the paper's traces have minute resolution, where the two coincide). The paper's
 * out-of-bounds forecaster is ARIMA; here it is the mean of the last 8 out-of-bounds idle times, a
 * simplification that only affects apps idle for more than the range most of the time.
 */
export function hybridKeepAlive(overrides: Partial<HybridConfig> = {}): KeepAlivePolicy<HybridState> {
  const c: HybridConfig = { ...HYBRID_DEFAULTS, ...overrides };
  const nBins = Math.round(c.rangeMs / c.binMs);
  if (!(nBins >= 2)) throw new InvalidArgument('hybrid keep-alive: range must hold at least 2 bins');
  return {
    name: 'hybrid',
    initialState: () => ({ bins: Array.from({ length: Math.ceil(nBins / CHUNK) }, () => new Array<number>(CHUNK).fill(0)), inRange: 0, sumSq: 0, oob: 0, recentOob: [], lastArrival: null }),
    observe(s, now) {
      if (s.lastArrival === null) return { ...s, lastArrival: now };
      const it = Math.max(0, now - s.lastArrival);
      const b = Math.floor(it / c.binMs);
      if (b >= nBins) return { ...s, oob: s.oob + 1, recentOob: [...s.recentOob.slice(-7), it], lastArrival: now };
      const bins = s.bins.slice();
      const chunk = bins[Math.floor(b / CHUNK)]!.slice();
      const prev = chunk[b % CHUNK]!;
      chunk[b % CHUNK] = prev + 1;
      bins[Math.floor(b / CHUNK)] = chunk;
      // (k+1)^2 - k^2 = 2k + 1
      return { ...s, bins, inRange: s.inRange + 1, sumSq: s.sumSq + 2 * prev + 1, lastArrival: now };
    },
    decide(s) {
      const total = s.inRange + s.oob;
      if (total > 0 && s.oob / total >= c.oobThreshold) {
        const mean = s.recentOob.reduce((a, b) => a + b, 0) / s.recentOob.length;
        const prewarmMs = mean * (1 - c.forecastMargin);
        return {
          prewarmMs,
          keepAliveMs: 2 * c.forecastMargin * mean,
          reason: `out of bounds: ${Math.round((100 * s.oob) / total)}% of idle times exceed ${formatMs(c.rangeMs)}; forecast ${formatMs(mean)}, pre-warm at ${formatMs(prewarmMs)} for ${formatMs(2 * c.forecastMargin * mean)}`,
        };
      }
      const cv = binCv(s, nBins);
      if (s.inRange === 0 || cv < c.cvThreshold) {
        return { prewarmMs: 0, keepAliveMs: c.rangeMs, reason: `histogram not representative (${s.inRange} idle times, CV ${cv.toFixed(2)} < ${c.cvThreshold}): keep ${formatMs(c.rangeMs)}` };
      }
      const head = percentileBin(s.bins, nBins, s.inRange, c.headPct);
      const tail = percentileBin(s.bins, nBins, s.inRange, c.tailPct);
      // Pre-warm at the head bin's lower edge less the margin; keep alive to the tail bin's upper edge plus the margin.
      const prewarmMs = head * c.binMs * (1 - c.margin);
      const untilMs = (tail + 1) * c.binMs * (1 + c.margin);
      return {
        prewarmMs,
        keepAliveMs: untilMs - prewarmMs,
        reason: `histogram of ${s.inRange} idle times (CV ${cv.toFixed(1)}): p${c.headPct} ${head}m, p${c.tailPct} ${tail + 1}m -> pre-warm ${formatMs(prewarmMs)}, warm until ${formatMs(untilMs)}`,
      };
    },
  };
}

/** Coefficient of variation of the bin counts (population standard deviation / mean). */
function binCv(s: HybridState, nBins: number): number {
  if (s.inRange === 0) return 0;
  const mean = s.inRange / nBins;
  const variance = Math.max(0, s.sumSq / nBins - mean * mean);
  return Math.sqrt(variance) / mean;
}

/** Index of the first bin where the cumulative count reaches pct% of the total. */
function percentileBin(bins: HybridState['bins'], nBins: number, total: number, pct: number): number {
  const need = (pct / 100) * total;
  let acc = 0;
  for (let i = 0; i < nBins; i++) {
    acc += binCount(bins, i);
    if (acc >= need && acc > 0) return i;
  }
  return nBins - 1;
}

/** Count in bin i of a chunked histogram. */
export function binCount(bins: HybridState['bins'], i: number): number {
  return bins[Math.floor(i / CHUNK)]![i % CHUNK]!;
}

/** Names accepted by parseKeepAlive, for help texts. */
export const KEEPALIVE_SPECS = ['fixed:<duration>', 'hybrid', 'adaptive', 'cost'] as const;

/** "fixed:10m", "fixed:30s", "hybrid" (or "hybrid-histogram"), "adaptive", "cost". */
export function parseKeepAlive(spec: string): KeepAlivePolicy {
  const s = spec.trim();
  if (s.startsWith('fixed:')) return fixedKeepAlive(parseDuration(s.slice(6), 'keep-alive TTL')) as KeepAlivePolicy;
  if (s === 'hybrid' || s === 'hybrid-histogram') return hybridKeepAlive() as KeepAlivePolicy;
  if (s === 'adaptive') return adaptiveKeepAlive() as KeepAlivePolicy;
  if (s === 'cost') return costKeepAlive() as KeepAlivePolicy;
  throw new InvalidArgument(`unknown keep-alive policy "${spec}" (use fixed:10m, fixed:30s, hybrid, adaptive or cost)`);
}
