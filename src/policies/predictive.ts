// "predictive": additive Holt-Winters with a trend and two seasons (daily and hourly by default,
// Taylor's double-seasonal form), fitted online on the demand series in fixed buckets. It
// provisions for the highest demand forecast over the next start-up latency plus one control
// period, so replicas are ready when the demand arrives, and never for less than the demand now.
// When its recent forecast error is large (regime change, flash crowd) it scales reactively.
import type { ScalingPolicy } from '../contracts/policies.js';
import { type AutoscaleConfig, type PredictiveSettings, type ScalingInput, clamp, demandMetric, risingDemand, totalDemand } from './types.js';

export const PREDICTIVE_DEFAULTS: Readonly<PredictiveSettings> = Object.freeze({
  bucketMs: 60_000,
  seasonsMs: [86_400_000, 3_600_000],
  alpha: 0.2,
  beta: 0.01,
  gamma: 0.25,
  maxError: 0.35,
  shortTrend: true,
  downStabilizationMs: 300_000,
  targetUtilization: 0.8,
});

/** Plain JSON, so it can be persisted. */
export interface PredictiveState {
  /** Start of the bucket being filled, and its running sum/count. */
  bucketStart: number | null;
  bucketSum: number;
  bucketN: number;
  level: number | null;
  trend: number;
  seasons: number[][];
  /** Bucket index since the first one (positions in the seasons). */
  index: number;
  /** EWMA of |actual - forecast| / max(actual, forecast) for the one-bucket-ahead forecast. */
  error: number;
  /** The one-bucket-ahead forecast made for the bucket being filled. */
  pending: number | null;
  /** The last few completed bucket means, oldest first, for the short-term trend. */
  recent: number[];
  history: Array<{ t: number; desired: number }>;
}

function settings(c: AutoscaleConfig): PredictiveSettings {
  return { ...PREDICTIVE_DEFAULTS, ...c.predictive };
}

function forecast(s: PredictiveState, p: PredictiveSettings, h: number): number {
  if (s.level === null) return 0;
  let y = s.level + h * s.trend;
  p.seasonsMs.forEach((len, k) => {
    const L = Math.round(len / p.bucketMs);
    y += s.seasons[k]![(s.index + h) % L]!;
  });
  return Math.max(0, y);
}

/** Folds one completed bucket's mean demand into the model (returns a new state). */
export function hwUpdate(s: PredictiveState, p: PredictiveSettings, y: number): PredictiveState {
  const seasons = s.seasons.map((a) => a.slice());
  const idx = s.index + 1;
  if (s.level === null) return { ...s, level: y, trend: 0, seasons, index: idx };
  const lens = p.seasonsMs.map((len) => Math.round(len / p.bucketMs));
  const seasonal = lens.reduce((acc, L, k) => acc + seasons[k]![idx % L]!, 0);
  const prevLevel = s.level;
  const level = p.alpha * (y - seasonal) + (1 - p.alpha) * (prevLevel + s.trend);
  const trend = p.beta * (level - prevLevel) + (1 - p.beta) * s.trend;
  lens.forEach((L, k) => {
    const others = seasonal - seasons[k]![idx % L]!;
    seasons[k]![idx % L] = p.gamma * (y - level - others) + (1 - p.gamma) * seasons[k]![idx % L]!;
  });
  return { ...s, level, trend, seasons, index: idx };
}

export const predictivePolicy: ScalingPolicy<ScalingInput, PredictiveState, AutoscaleConfig> = {
  name: 'predictive',
  initialState(config) {
    const p = settings(config);
    return {
      bucketStart: null,
      bucketSum: 0,
      bucketN: 0,
      level: null,
      trend: 0,
      seasons: p.seasonsMs.map((len) => new Array<number>(Math.max(1, Math.round(len / p.bucketMs))).fill(0)),
      index: 0,
      error: 0,
      pending: null,
      recent: [],
      history: [],
    };
  },
  recommend(input, state, now, config) {
    const p = settings(config);
    const m = demandMetric(config);
    const demand = totalDemand(input, m.metric) ?? 0;
    let s = state;
    if (s.bucketStart === null) s = { ...s, bucketStart: now - (now % p.bucketMs) };
    // Close every bucket that ended before now (empty ones carry the last value: no data is not zero demand).
    while (now >= s.bucketStart! + p.bucketMs) {
      const y = s.bucketN > 0 ? s.bucketSum / s.bucketN : demand;
      const err = s.pending === null ? 0 : Math.abs(y - s.pending) / Math.max(1e-9, y, s.pending);
      s = hwUpdate({ ...s, error: s.pending === null ? s.error : 0.8 * s.error + 0.2 * err }, p, y);
      s = { ...s, bucketStart: s.bucketStart! + p.bucketMs, bucketSum: 0, bucketN: 0, pending: forecast(s, p, 1), recent: [...s.recent.slice(-3), y] };
    }
    s = { ...s, bucketSum: s.bucketSum + demand, bucketN: s.bucketN + 1 };

    const perReplica = m.target * p.targetUtilization;
    const aheadMs = config.startupMs + config.periodMs;
    const h = Math.max(1, Math.ceil(aheadMs / p.bucketMs));
    let peak = 0;
    for (let i = 1; i <= h; i++) peak = Math.max(peak, forecast(s, p, i));
    // The full season must be seen once before the seasonal terms mean anything.
    const warm = s.index > Math.round(Math.min(...p.seasonsMs) / p.bucketMs);
    const reactive = !warm || s.error > p.maxError;
    // Short-term trend: while demand is rising faster than the seasonal model knows, extrapolate the
    // rise from the bucket before last to now over the look-ahead (a flash crowd or a ramp-up).
    const rising = p.shortTrend ? risingDemand(demand, s.recent[s.recent.length - 2], now, s.bucketStart!, p.bucketMs, aheadMs) : 0;
    const basis = Math.max(reactive ? demand : Math.max(peak, demand), rising);
    const raw = Math.ceil(basis / perReplica);
    const history = [...s.history.filter((x) => x.t > now - p.downStabilizationMs), { t: now, desired: raw }];
    // Scale down only to the highest count asked for in the stabilization window.
    const desired = clamp(Math.max(...history.map((x) => x.desired)), config.min, config.max);
    const why = reactive
      ? `${rising > demand ? `rising to ${rising.toFixed(1)} in ${Math.round(aheadMs / 1000)} s; ` : ''}reactive (${!warm ? 'model warming up' : `forecast error ${(100 * s.error).toFixed(0)}% > ${100 * p.maxError}%`}): ${m.metric} ${demand.toFixed(1)} / ${perReplica.toFixed(1)} per replica = ${raw}`
      : `${rising > peak && rising > demand ? `rising to ${rising.toFixed(1)} in ${Math.round(aheadMs / 1000)} s; ` : ''}forecast peak ${peak.toFixed(1)} ${m.metric} in the next ${Math.round(aheadMs / 1000)} s (now ${demand.toFixed(1)}, level ${s.level!.toFixed(1)}, trend ${s.trend.toFixed(2)}/bucket, error ${(100 * s.error).toFixed(0)}%) / ${perReplica.toFixed(1)} per replica = ${raw}`;
    return { desired, nextState: { ...s, history }, reason: desired !== raw ? `${why}; held at ${desired} (down-stabilization)` : why };
  },
};
