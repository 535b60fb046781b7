// Inputs and configuration shared by the four scaling policies.
import type { MetricName, MetricTarget, ScalingInput } from '../contracts/autoscaler.js';

export type { MetricName, MetricTarget, PodSample, ScalingInput } from '../contracts/autoscaler.js';

export interface HpaRule {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface HpaScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: HpaRule[];
}

export interface AutoscaleConfig {
  min: number;
  max: number;
  metrics: MetricTarget[];
  /** Control period (HPA syncs every 15 s, KPA ticks every 2 s). */
  periodMs: number;
  /** Time from a scale-up decision to a ready replica; the predictive policies look this far ahead. */
  startupMs: number;
  hpa?: { tolerance?: number; scaleUp?: Partial<HpaScalingRules>; scaleDown?: Partial<HpaScalingRules> };
  kpa?: Partial<KpaSettings>;
  predictive?: Partial<PredictiveSettings>;
  learned?: Partial<LearnedSettings>;
}

export interface KpaSettings {
  targetUtilization: number;
  stableWindowMs: number;
  panicWindowPct: number;
  panicThresholdPct: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  scaleToZeroGraceMs: number;
}

export interface PredictiveSettings {
  /** Aggregation bucket of the demand series. */
  bucketMs: number;
  /** Seasons, in buckets: daily and hourly by default. */
  seasonsMs: number[];
  alpha: number;
  beta: number;
  gamma: number;
  /** Relative one-step forecast error (EWMA) above which the policy scales reactively. */
  maxError: number;
  /** Keep the highest desired count this long before scaling down. */
  downStabilizationMs: number;
  /** Target utilisation applied to the metric's target per replica. */
  targetUtilization: number;
  /** Extrapolate a rise seen in the last buckets over the look-ahead. */
  shortTrend: boolean;
}

export interface LearnedSettings {
  bucketMs: number;
  /** Quantile of next-window demand to provision for. */
  quantile: number;
  learningRate: number;
  /** Samples before the model's prediction is trusted. */
  warmup: number;
  downStabilizationMs: number;
  /** Share of a replica's capacity to plan for: the quantile already carries the headroom. */
  targetUtilization: number;
  shortTrend: boolean;
}

export const DEFAULT_CONFIG: Readonly<Omit<AutoscaleConfig, 'metrics'>> = Object.freeze({ min: 1, max: 100, periodMs: 15_000, startupMs: 30_000 });

/** The metric the demand-forecasting policies follow: rps first, else concurrency. */
export function demandMetric(c: AutoscaleConfig): MetricTarget {
  return c.metrics.find((m) => m.metric === 'rps') ?? c.metrics.find((m) => m.metric === 'concurrency') ?? c.metrics[0]!;
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Total demand for a per-replica metric: rps and concurrency arrive as totals. */
export function totalDemand(input: ScalingInput, metric: MetricName): number | undefined {
  if (metric === 'rps') return input.rps;
  if (metric === 'concurrency') return input.concurrency;
  const u = metric === 'cpu' ? input.cpuUtilization : input.memoryUtilization;
  return u === undefined ? undefined : u * Math.max(1, input.readyReplicas);
}

/**
 * Short-term trend guard shared by the forecasting policies: when demand now is above the mean of
 * the bucket before last, extrapolate that rise over the look-ahead (start-up + one period), so a
 * ramp-up is met by replicas that are ready when it arrives. 0 when demand is not rising.
 */
export function risingDemand(demand: number, bucketBeforeLast: number | undefined, now: number, openBucketStart: number, bucketMs: number, aheadMs: number): number {
  if (bucketBeforeLast === undefined) return 0;
  // The bucket before last is centred 1.5 buckets before the open bucket starts.
  const since = (now - (openBucketStart - 1.5 * bucketMs)) / bucketMs;
  const slope = (demand - bucketBeforeLast) / since;
  return slope > 0 ? demand + slope * (aheadMs / bucketMs) : 0;
}
