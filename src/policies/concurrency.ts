// "concurrency": Knative's KPA (pkg/autoscaler/scaling/autoscaler.go) as a pure function. Demand
// is averaged over a stable window (60 s) and a panic window (10% of it, 6 s); the target per
// replica is target concurrency x utilisation (70%). Panic mode starts when the panic-window
// demand needs >= 200% of the ready replicas, holds the highest count seen (no scale-down) and
// ends after a stable window without panic. Moves are limited by the max scale up/down rates;
// with no traffic for a stable window plus the grace period, the count drops to zero.
import type { ScalingPolicy } from '../contracts/policies.js';
import { type AutoscaleConfig, type KpaSettings, type ScalingInput, clamp, demandMetric, totalDemand } from './types.js';

export const KPA_DEFAULTS: Readonly<KpaSettings> = Object.freeze({
  targetUtilization: 0.7,
  stableWindowMs: 60_000,
  panicWindowPct: 10,
  panicThresholdPct: 200,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
  scaleToZeroGraceMs: 30_000,
});

export interface ConcurrencyState {
  samples: Array<{ t: number; v: number }>;
  /** When panic mode started (or was last extended); null when not panicking. */
  panicSince: number | null;
  maxPanicPods: number;
  lastTraffic: number | null;
}

/** Mean of the samples newer than now - windowMs (samples are in time order). */
function windowAvg(samples: ConcurrencyState['samples'], now: number, windowMs: number): number {
  let sum = 0;
  let n = 0;
  for (let i = samples.length - 1; i >= 0 && samples[i]!.t > now - windowMs; i--) {
    sum += samples[i]!.v;
    n++;
  }
  return n ? sum / n : 0;
}

export const concurrencyPolicy: ScalingPolicy<ScalingInput, ConcurrencyState, AutoscaleConfig> = {
  name: 'concurrency',
  initialState: () => ({ samples: [], panicSince: null, maxPanicPods: 0, lastTraffic: null }),
  recommend(input, state, now, config) {
    const k: KpaSettings = { ...KPA_DEFAULTS, ...config.kpa };
    const m = demandMetric(config);
    const v = totalDemand(input, m.metric) ?? 0;
    const panicMs = (k.stableWindowMs * k.panicWindowPct) / 100;
    let first = 0;
    while (first < state.samples.length && state.samples[first]!.t <= now - k.stableWindowMs) first++;
    const samples = state.samples.slice(first);
    samples.push({ t: now, v });
    const lastTraffic = v > 0 ? now : state.lastTraffic;
    const stable = windowAvg(samples, now, k.stableWindowMs);
    const panic = windowAvg(samples, now, panicMs);
    const target = m.target * k.targetUtilization;
    // With no ready replica the maths uses 1, as Knative does (the activator holds requests).
    const ready = Math.max(1, input.readyReplicas);
    const maxUp = Math.ceil(k.maxScaleUpRate * ready);
    const maxDown = k.maxScaleDownRate > 0 ? Math.floor(ready / k.maxScaleDownRate) : 0;
    const dspc = Math.ceil(stable / target);
    const dppc = Math.ceil(panic / target);
    const stablePods = clamp(dspc, maxDown, maxUp);
    const panicPods = clamp(dppc, maxDown, maxUp);
    const over = dppc / ready >= k.panicThresholdPct / 100;

    let panicSince = state.panicSince;
    let maxPanicPods = state.maxPanicPods;
    let mode: string;
    if (over) panicSince = now;
    else if (panicSince !== null && panicSince + k.stableWindowMs < now) {
      panicSince = null;
      maxPanicPods = 0;
    }
    let desired = stablePods;
    if (panicSince !== null) {
      // No scale-down while panicking: hold the highest panic count.
      if (panicPods > maxPanicPods) maxPanicPods = panicPods;
      desired = maxPanicPods;
      mode = `panic: ${panicMs / 1000} s ${m.metric} ${panic.toFixed(1)} / target ${target.toFixed(1)} = ${(panic / target).toFixed(1)} replicas, holding ${desired}`;
    } else {
      mode = `stable: ${k.stableWindowMs / 1000} s ${m.metric} ${stable.toFixed(1)} / target ${target.toFixed(1)} = ${(stable / target).toFixed(1)} replicas`;
    }
    if (desired !== Math.ceil((panicSince !== null ? panic : stable) / target)) mode += ` (rate limits ${maxDown}..${maxUp})`;
    // Scale to zero only after a full stable window plus the grace period without traffic.
    if (desired === 0) {
      const idleFor = lastTraffic === null ? Infinity : now - lastTraffic;
      if (idleFor < k.stableWindowMs + k.scaleToZeroGraceMs) {
        desired = Math.min(1, Math.max(input.replicas, 0));
        mode += `; idle ${Math.round(idleFor / 1000)} s, zero after ${(k.stableWindowMs + k.scaleToZeroGraceMs) / 1000} s`;
      } else mode += '; no traffic: scale to zero';
    }
    const bounded = clamp(desired, config.min, config.max);
    return { desired: bounded, nextState: { samples, panicSince, maxPanicPods, lastTraffic }, reason: `${mode} -> ${bounded}` };
  },
};
