// "blend": the learned forecast as a floor, Knative's panic path on top. The forecaster (learned.ts)
// plans ahead by the start-up delay and holds capacity for the peaks it has learned; what it cannot
// see (a spike between two control periods) the KPA path (concurrency.ts, 2 s tick, 6 s panic
// window) answers within seconds. The replica count is the larger of the two, so each path covers
// the other's blind spot and the forecast's headroom keeps the panic path rarely needed.
import type { ScalingPolicy } from '../contracts/policies.js';
import { type ConcurrencyState, concurrencyPolicy } from './concurrency.js';
import { type LearnedState, learnedPolicy } from './learned.js';
import type { AutoscaleConfig, ScalingInput } from './types.js';

export interface BlendState {
  forecast: LearnedState;
  reactive: ConcurrencyState;
}

export const blendPolicy: ScalingPolicy<ScalingInput, BlendState, AutoscaleConfig> = {
  name: 'blend',
  initialState: (config) => ({ forecast: learnedPolicy.initialState(config), reactive: concurrencyPolicy.initialState(config) }),
  recommend(input, state, now, config) {
    const f = learnedPolicy.recommend(input, state.forecast, now, config);
    // The reactive path never scales to zero on its own: the forecast decides the floor.
    const r = concurrencyPolicy.recommend(input, state.reactive, now, config);
    const desired = Math.max(f.desired, r.desired);
    const which = r.desired > f.desired ? `reactive ${r.desired} over forecast ${f.desired}: ${r.reason}` : `forecast ${f.desired}: ${f.reason}`;
    return { desired, nextState: { forecast: f.nextState, reactive: r.nextState }, reason: which };
  },
};
