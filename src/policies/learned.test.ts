import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learnedPolicy, type LearnedState } from './learned.js';
import { seededRng } from '../sim/rng.js';
import type { AutoscaleConfig } from './types.js';

const cfg: AutoscaleConfig = { min: 1, max: 1000, periodMs: 60_000, startupMs: 60_000, metrics: [{ metric: 'rps', target: 10 }], learned: { targetUtilization: 1, warmup: 60, downStabilizationMs: 0, quantile: 0.9, shortTrend: false } };
const MIN = 60_000;

test('learned: reactive until trained, then predicts a high quantile of next-window demand', () => {
  const rng = seededRng(7);
  // Noisy demand around 200 rps (uniform 150..250). Horizon: (60 + 60) s = 2 one-minute buckets.
  const series = Array.from({ length: 2000 }, () => 150 + 100 * rng());
  let s = learnedPolicy.initialState(cfg);
  let first = '';
  let exceeded = 0;
  let judged = 0;
  let last!: ReturnType<typeof learnedPolicy.recommend>;
  for (let m = 0; m < series.length; m++) {
    last = learnedPolicy.recommend({ replicas: 1, readyReplicas: 1, rps: series[m]! }, s, m * MIN, cfg);
    if (m === 10) first = last.reason;
    s = last.nextState;
    // After training, count how often the next two minutes' peak exceeded the provisioned capacity.
    if (m > 1000 && m + 2 < series.length) {
      judged++;
      if (Math.max(series[m + 1]!, series[m + 2]!) > last.desired * 10) exceeded++;
    }
  }
  assert.match(first, /^reactive \(model trained on \d+\/60 windows\)/);
  // Quantile 0.9 of a 2-minute peak: exceedance should be near 10%; allow 2%..25% for online noise.
  const rate = exceeded / judged;
  assert.ok(rate > 0.02 && rate < 0.25, `exceedance ${rate}`);
  // It explains itself with its top features.
  assert.match(last.reason, /^p90 of peak rps in the next 2 min = [\d.]+ \(\w[\w.]* [+-][\d.]+/);
});

test('learned state survives a JSON round trip', () => {
  let s = learnedPolicy.initialState(cfg);
  for (let m = 0; m < 300; m++) s = learnedPolicy.recommend({ replicas: 1, readyReplicas: 1, rps: 100 + (m % 30) }, s, m * MIN, cfg).nextState;
  const copy = JSON.parse(JSON.stringify(s)) as LearnedState;
  const a = learnedPolicy.recommend({ replicas: 1, readyReplicas: 1, rps: 120 }, s, 300 * MIN, cfg);
  const b = learnedPolicy.recommend({ replicas: 1, readyReplicas: 1, rps: 120 }, copy, 300 * MIN, cfg);
  assert.equal(a.desired, b.desired);
  assert.equal(a.reason, b.reason);
});
