// "learned": online linear quantile regression (pinball loss, normalised SGD) that predicts a high
// quantile (default 0.9) of the peak demand in the next window (start-up latency + one control
// period), from lagged demand and time-of-day features. Each completed bucket becomes one training
// example once its future is known; the model is plain JSON (persisted by the autoscaler), and the
// decision reason lists the features that pushed the prediction most.
import type { ScalingPolicy } from '../contracts/policies.js';
import { type AutoscaleConfig, type LearnedSettings, type ScalingInput, clamp, demandMetric, risingDemand, totalDemand } from './types.js';

export const LEARNED_DEFAULTS: Readonly<LearnedSettings> = Object.freeze({
  bucketMs: 60_000,
  quantile: 0.99,
  learningRate: 0.05,
  warmup: 120,
  downStabilizationMs: 300_000,
  targetUtilization: 0.9,
  shortTrend: true,
});

export const FEATURES = ['bias', 'last', 'mean5', 'mean15', 'max5', 'slope5', 'yesterday', 'dayFrac.sin', 'dayFrac.cos', 'day2.sin', 'day2.cos'] as const;
const DAY = 86_400_000;
/** Buckets of history kept: a day plus the horizon, for the "same time yesterday" feature. */
const historyLen = (p: LearnedSettings, h: number) => Math.round(DAY / p.bucketMs) + h + 16;

export interface LearnedState {
  weights: number[];
  /** Per-weight sum of squared gradients (AdaGrad). */
  g2: number[];
  /** Completed bucket means, oldest first. */
  series: number[];
  /** Start time of series[series.length - 1] + bucket, i.e. the open bucket. */
  bucketStart: number | null;
  bucketSum: number;
  bucketN: number;
  /** Running scale of demand, so features and target are unit-free. */
  scale: number;
  trained: number;
  /** Share of recent windows whose peak exceeded the prediction (calibration check). */
  exceed: number;
  history: Array<{ t: number; desired: number }>;
}

function settings(c: AutoscaleConfig): LearnedSettings {
  return { ...LEARNED_DEFAULTS, ...c.learned };
}

/** Features for a prediction made at the end of series[i] (time tEnd), scaled by `scale`. */
export function features(series: readonly number[], i: number, tEnd: number, scale: number, bucketMs: number): number[] {
  const at = (k: number) => (k >= 0 && k < series.length ? series[k]! : series[Math.max(0, Math.min(series.length - 1, k))] ?? 0) / scale;
  const mean = (n: number) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += at(i - k);
    return s / n;
  };
  let max5 = 0;
  for (let k = 0; k < 5; k++) max5 = Math.max(max5, at(i - k));
  const perDay = Math.round(DAY / bucketMs);
  const frac = (tEnd % DAY) / DAY;
  return [1, at(i), mean(5), mean(15), max5, (at(i) - at(i - 4)) / 4, i - perDay >= 0 ? at(i - perDay + 1) : at(i), Math.sin(2 * Math.PI * frac), Math.cos(2 * Math.PI * frac), Math.sin(4 * Math.PI * frac), Math.cos(4 * Math.PI * frac)];
}

function dot(w: readonly number[], x: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < w.length; k++) s += w[k]! * x[k]!;
  return s;
}

export const learnedPolicy: ScalingPolicy<ScalingInput, LearnedState, AutoscaleConfig> = {
  name: 'learned',
  initialState: () => ({
    // Start as "last value" so the untrained model is a sensible reactive predictor.
    weights: FEATURES.map((f) => (f === 'last' ? 1 : 0)),
    g2: FEATURES.map(() => 0),
    series: [],
    bucketStart: null,
    bucketSum: 0,
    bucketN: 0,
    scale: 0,
    trained: 0,
    exceed: 0,
    history: [],
  }),
  recommend(input, state, now, config) {
    const p = settings(config);
    const m = demandMetric(config);
    const demand = totalDemand(input, m.metric) ?? 0;
    const h = Math.max(1, Math.ceil((config.startupMs + config.periodMs) / p.bucketMs));
    let s = state;
    if (s.bucketStart === null) s = { ...s, bucketStart: now - (now % p.bucketMs) };
    while (now >= s.bucketStart! + p.bucketMs) s = closeBucket(s, p, h, s.bucketN > 0 ? s.bucketSum / s.bucketN : demand);
    s = { ...s, bucketSum: s.bucketSum + demand, bucketN: s.bucketN + 1 };

    const perReplica = m.target * p.targetUtilization;
    const n = s.series.length;
    let basis = demand;
    let why: string;
    if (s.trained < p.warmup || n === 0) {
      why = `reactive (model trained on ${s.trained}/${p.warmup} windows): ${m.metric} ${demand.toFixed(1)}`;
    } else {
      const x = features(s.series, n - 1, s.bucketStart!, s.scale || 1, p.bucketMs);
      const q = Math.max(0, dot(s.weights, x) * (s.scale || 1));
      basis = Math.max(q, demand);
      const contrib = FEATURES.map((f, k) => ({ f, c: s.weights[k]! * x[k]! * (s.scale || 1) }))
        .sort((a, b) => Math.abs(b.c) - Math.abs(a.c))
        .slice(0, 3)
        .map((e) => `${e.f} ${e.c >= 0 ? '+' : ''}${e.c.toFixed(1)}`);
      why = `p${Math.round(100 * p.quantile)} of peak ${m.metric} in the next ${h} min = ${q.toFixed(1)} (${contrib.join(', ')}; now ${demand.toFixed(1)}; ${(100 * s.exceed).toFixed(0)}% of recent windows exceeded)`;
    }
    // Ramps too rare to be learned are met by the short-term trend guard.
    const rising = p.shortTrend ? risingDemand(demand, s.series[n - 2], now, s.bucketStart!, p.bucketMs, config.startupMs + config.periodMs) : 0;
    if (rising > basis) {
      basis = rising;
      why = `rising to ${rising.toFixed(1)} in ${h} min; ${why}`;
    }
    const raw = Math.ceil(basis / perReplica);
    const history = [...s.history.filter((e) => e.t > now - p.downStabilizationMs), { t: now, desired: raw }];
    const desired = clamp(Math.max(...history.map((e) => e.desired)), config.min, config.max);
    return { desired, nextState: { ...s, history }, reason: `${why} / ${perReplica.toFixed(1)} per replica = ${raw}${desired !== raw ? `; held at ${desired}` : ''}` };
  },
};

/** Appends a completed bucket and trains on the example whose h-bucket future it completes. */
function closeBucket(s: LearnedState, p: LearnedSettings, h: number, y: number): LearnedState {
  const series = s.series.length >= historyLen(p, h) ? [...s.series.slice(1), y] : [...s.series, y];
  const scale = s.scale === 0 ? Math.max(1e-6, y) : 0.995 * s.scale + 0.005 * Math.max(1e-6, y);
  let { weights, g2, trained, exceed } = s;
  const n = series.length;
  const i = n - 1 - h; // the example made at the end of series[i]; its target is the peak of the next h buckets
  if (i >= 0) {
    let peak = 0;
    for (let k = i + 1; k < n; k++) peak = Math.max(peak, series[k]!);
    const tEnd = s.bucketStart! + p.bucketMs - h * p.bucketMs;
    const x = features(series, i, tEnd, scale, p.bucketMs);
    const target = peak / scale;
    const pred = dot(weights, x);
    // Pinball loss gradient: under-prediction costs q, over-prediction 1 - q.
    const g = target > pred ? -p.quantile : 1 - p.quantile;
    weights = weights.slice();
    g2 = g2.slice();
    for (let k = 0; k < weights.length; k++) {
      const gk = g * x[k]!;
      g2[k] = g2[k]! + gk * gk;
      weights[k] = weights[k]! - (p.learningRate * gk) / Math.sqrt(g2[k]! + 1e-8);
    }
    trained++;
    exceed = 0.98 * exceed + 0.02 * (target > pred ? 1 : 0);
  }
  return { ...s, series, scale, weights, g2, trained, exceed, bucketStart: s.bucketStart! + p.bucketMs, bucketSum: 0, bucketN: 0 };
}
