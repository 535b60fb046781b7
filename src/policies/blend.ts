// "blend": the learned forecast as a floor, Knative's panic path on top. The forecaster (learned.ts)
// plans ahead by the start-up delay and holds capacity for the peaks it has learned; what it cannot
// see (a spike between two control periods) the KPA path (concurrency.ts, 2 s tick, 6 s panic
// window) answers within seconds. The replica count is the larger of the two, so each path covers
// the other's blind spot.
// The forecast floor is cheaper than learned's own defaults, because the reactive path is there:
// it plans for the 90th percentile (not the 99th) of the next window's peak, and holds a higher
// count for 2 minutes (not 5) before scaling down. With a 5 s start-up a replica given back too
// early costs seconds of panic scaling; one held for 5 minutes after every burst costs
// replica-minutes (up to 1.5x HPA's on bursty Azure functions with the 5-minute hold).
import type { ScalingPolicy } from '../contracts/policies.js';
import { type ConcurrencyState, concurrencyPolicy } from './concurrency.js';
import { type LearnedState, learnedPolicy } from './learned.js';
import { type AutoscaleConfig, type LearnedSettings, type ScalingInput, demandMetric, totalDemand } from './types.js';

export interface BlendState {
  forecast: LearnedState;
  reactive: ConcurrencyState;
  /** Recent counts of the two paths (before the recurrence hold), oldest first, within HOLD_MAX_MS. */
  recent?: Array<{ t: number; d: number }>;
  /** Dips that came back (ms the count was lower before it rose to its earlier level again), with when. */
  regrets?: Array<{ t: number; ms: number }>;
  /** The count last recommended (after the hold). */
  out?: number;
}

/**
 * Recurrence hold. When demand jumps back within minutes of a scale-down, again and again (jobs
 * on a few-minute cycle), each given-back replica is missing for the start-up delay at the next
 * jump. The policy learns that cycle online: every dip that was followed by a rise back to the
 * earlier count within HOLD_MAX_MS, leaving the service short, is a regret, and the count is then
 * held for 1.25x the longest recent regret, so the next dip of that length is bridged (a bridged dip
 * renews the regret). Regrets older than REGRET_TTL_MS (20 min) are forgotten, so a series that
 * stops cycling gets the short hold back. The hold is capped at HOLD_MAX_MS (6 min, about HPA's 5). Dips of one replica (noise
 * on a smooth series) are not regrets.
 */
const HOLD_MAX_MS = 6 * 60_000;
const REGRET_TTL_MS = 20 * 60_000;
const HOLD_FACTOR = 1.25;
/** A dip counts when it gave back at least this share of the count (and at least 2 replicas). */
const DIP_SHARE = 0.25;

function recurrenceHold(state: BlendState, raw: number, now: number, short: boolean): { desired: number; recent: Array<{ t: number; d: number }>; regrets: Array<{ t: number; ms: number }>; holdMs: number } {
  // `recent` is run-length: each entry is a count from its t until the next entry's t (so it stays short).
  const old = state.recent ?? [];
  let first = 0;
  while (first + 1 < old.length && old[first + 1]!.t < now - HOLD_MAX_MS) first++;
  const recent = old.slice(first);
  let regrets = (state.regrets ?? []).filter((r) => now - r.t <= REGRET_TTL_MS);
  const prev = recent.length ? recent[recent.length - 1]!.d : raw;
  // A dip just ended, and it left the service short, or the hold bridged it (so it still recurs):
  // since when was the count lower, and how deep was the dip?
  if (raw > prev && (short || (state.out ?? 0) >= raw)) {
    let low = prev;
    for (let i = recent.length - 2; i >= 0; i--) {
      if (recent[i]!.d >= raw) {
        const ms = now - recent[i + 1]!.t;
        if (raw - low >= Math.max(2, DIP_SHARE * raw)) regrets = [...regrets.slice(-7), { t: now, ms }];
        break;
      }
      low = Math.min(low, recent[i]!.d);
    }
  }
  if (raw !== prev || recent.length === 0) recent.push({ t: now, d: raw });
  const holdMs = regrets.length ? Math.min(HOLD_MAX_MS, HOLD_FACTOR * Math.max(...regrets.map((r) => r.ms))) : 0;
  let desired = raw;
  for (let i = 0; i < recent.length; i++) {
    const until = i + 1 < recent.length ? recent[i + 1]!.t : now;
    if (until >= now - holdMs) desired = Math.max(desired, recent[i]!.d);
  }
  return { desired, recent, regrets, holdMs };
}

/** The forecast floor's settings, unless the autoscaler's `learned` settings say otherwise. */
export const BLEND_FORECAST: Readonly<Partial<LearnedSettings>> = Object.freeze({ quantile: 0.9, downStabilizationMs: 120_000 });

const forecastConfig = (c: AutoscaleConfig): AutoscaleConfig => ({ ...c, learned: { ...BLEND_FORECAST, ...c.learned } });

export const blendPolicy: ScalingPolicy<ScalingInput, BlendState, AutoscaleConfig> = {
  name: 'blend',
  initialState: (config) => ({ forecast: learnedPolicy.initialState(forecastConfig(config)), reactive: concurrencyPolicy.initialState(config) }),
  recommend(input, state, now, config) {
    const f = learnedPolicy.recommend(input, state.forecast, now, forecastConfig(config));
    // The reactive path never scales to zero on its own: the forecast decides the floor.
    const r = concurrencyPolicy.recommend(input, state.reactive, now, config);
    const raw = Math.max(f.desired, r.desired);
    const m = demandMetric(config);
    const demand = totalDemand(input, m.metric);
    // Short now: demand above what the ready replicas serve at the planned utilisation (given-back capacity was missed).
    const short = demand !== undefined && demand > input.readyReplicas * m.target * (config.kpa?.targetUtilization ?? 0.7);
    const h = recurrenceHold(state, raw, now, short);
    const which = r.desired > f.desired ? `reactive ${r.desired} over forecast ${f.desired}: ${r.reason}` : `forecast ${f.desired}: ${f.reason}`;
    const reason = h.desired > raw ? `held at ${h.desired} for ${Math.round(h.holdMs / 1000)} s (demand came back after ${h.regrets.length} recent dips; the paths say ${raw}: ${which})` : which;
    return { desired: h.desired, nextState: { forecast: f.nextState, reactive: r.nextState, recent: h.recent, regrets: h.regrets, out: h.desired }, reason };
  },
};
