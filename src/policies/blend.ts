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
import type { AutoscaleConfig, LearnedSettings, ScalingInput } from './types.js';

export interface BlendState {
  forecast: LearnedState;
  reactive: ConcurrencyState;
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
    const desired = Math.max(f.desired, r.desired);
    const which = r.desired > f.desired ? `reactive ${r.desired} over forecast ${f.desired}: ${r.reason}` : `forecast ${f.desired}: ${f.reason}`;
    return { desired, nextState: { forecast: f.nextState, reactive: r.nextState }, reason: which };
  },
};
