import { test } from 'node:test';
import assert from 'node:assert/strict';
import { predictivePolicy, type PredictiveState } from './predictive.js';
import { thresholdPolicy } from './threshold.js';
import type { AutoscaleConfig } from './types.js';

// 1-minute buckets, an hourly season only (so the test runs a few hours), 100 rps per replica.
const cfg: AutoscaleConfig = {
  min: 1,
  max: 100,
  periodMs: 60_000,
  startupMs: 120_000,
  metrics: [{ metric: 'rps', target: 100 }],
  predictive: { seasonsMs: [3_600_000], targetUtilization: 1, downStabilizationMs: 0 },
};
const MIN = 60_000;
// Demand: 100 rps, rising to 1000 rps during minutes 30..39 of every hour.
const demand = (m: number) => (m % 60 >= 30 && m % 60 < 40 ? 1000 : 100);

function replay(minutes: number, f: (m: number) => number, s: PredictiveState = predictivePolicy.initialState(cfg)) {
  let d!: ReturnType<typeof predictivePolicy.recommend>;
  for (let m = 0; m < minutes; m++) {
    d = predictivePolicy.recommend({ replicas: 1, readyReplicas: 1, rps: f(m) }, s, m * MIN, cfg);
    s = d.nextState;
  }
  return { d, s };
}

test('predictive is reactive while the model warms up', () => {
  // Before one full season: ceil(100 / 100) = 1.
  const { d } = replay(10, demand);
  assert.equal(d.desired, 1);
  assert.match(d.reason, /reactive \(model warming up\)/);
});

test('predictive scales ahead of a recurring peak by the start-up latency', () => {
  // After 4 hours of the pattern, at minute 28 of the 5th hour (2 minutes before the peak, within
  // start-up 120 s + period 60 s = 3 buckets ahead) the forecast sees the peak. After four seasons
  // the seasonal term has learned most of the +900 rps step (~620 rps -> ceil(6.2) = 7 replicas),
  // while a reactive policy (threshold) at 100 rps asks for ceil(100 / 100) = 1.
  const { d } = replay(4 * 60 + 29, demand);
  assert.match(d.reason, /^forecast peak/);
  assert.ok(d.desired >= 5, d.reason);
  const hpa = thresholdPolicy.recommend({ replicas: 1, readyReplicas: 1, rps: 100 }, thresholdPolicy.initialState(cfg), 0, cfg);
  assert.equal(hpa.desired, 1);
  // Plain JSON state: a persisted copy decides the same.
  const { s } = replay(4 * 60 + 28, demand);
  const copy = JSON.parse(JSON.stringify(s)) as PredictiveState;
  const a = predictivePolicy.recommend({ replicas: 1, readyReplicas: 1, rps: 100 }, s, (4 * 60 + 28) * MIN, cfg);
  const b = predictivePolicy.recommend({ replicas: 1, readyReplicas: 1, rps: 100 }, copy, (4 * 60 + 28) * MIN, cfg);
  assert.equal(a.desired, b.desired);
});

test('predictive falls back to reactive when its forecasts go wrong', () => {
  // The pattern, then a flash crowd of 5000 rps at an unusual time: the one-step errors push the
  // error EWMA above 35% and the policy says so and follows demand: ceil(5000 / 100) = 50.
  const f = (m: number) => (m >= 4 * 60 + 5 ? 5000 : demand(m));
  const { d } = replay(4 * 60 + 9, f);
  assert.match(d.reason, /^reactive \(forecast error \d+% > 35%\)/);
  assert.equal(d.desired, 50);
});
