import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thresholdPolicy, type ThresholdState } from './threshold.js';
import type { AutoscaleConfig, ScalingInput } from './types.js';

const cfg = (over: Partial<AutoscaleConfig> = {}): AutoscaleConfig => ({ min: 1, max: 10, periodMs: 15_000, startupMs: 30_000, metrics: [{ metric: 'cpu', target: 50 }], ...over });
const fresh = (): ThresholdState => thresholdPolicy.initialState(cfg());

test('HPA: desired = ceil(current x metric / target), tolerance, metrics, min/max', () => {
  const cases: Array<{ name: string; input: ScalingInput; config?: Partial<AutoscaleConfig>; want: number }> = [
    // ceil(3 x 100 / 50) = 6; the default scale-up limit from 3 is max(3 x 2, 3 + 4) = 7.
    { name: 'cpu doubles', input: { replicas: 3, readyReplicas: 3, cpuUtilization: 100 }, want: 6 },
    // 54 / 50 = 1.08: |1 - 1.08| <= 0.1 -> no change.
    { name: 'within tolerance', input: { replicas: 3, readyReplicas: 3, cpuUtilization: 54 }, want: 3 },
    // 56 / 50 = 1.12 > 1.1 -> ceil(1.12 x 3) = ceil(3.36) = 4.
    { name: 'just outside tolerance', input: { replicas: 3, readyReplicas: 3, cpuUtilization: 56 }, want: 4 },
    // rps is a total with an AverageValue target: ratio 300 / (100 x 3) = 1.0 -> no change.
    { name: 'rps on target', input: { replicas: 3, readyReplicas: 3, rps: 300 }, config: { metrics: [{ metric: 'rps', target: 100 }] }, want: 3 },
    // ceil(950 / 100) = 10.
    { name: 'rps total / target', input: { replicas: 3, readyReplicas: 3, rps: 950 }, config: { metrics: [{ metric: 'rps', target: 100 }] }, want: 7 /* capped: max(3 x 2, 3 + 4) = 7 */ },
    // Several metrics: cpu asks ceil(2 x 60/50) = ceil(2.4) = 3, concurrency asks ceil(25 / 5) = 5: max wins -> 5.
    { name: 'max of metrics', input: { replicas: 2, readyReplicas: 2, cpuUtilization: 60, concurrency: 25 }, config: { metrics: [{ metric: 'cpu', target: 50 }, { metric: 'concurrency', target: 5 }] }, want: 5 },
    // One metric missing: the others decide. memory ceil(2 x 90/60) = 3.
    { name: 'missing metric skipped', input: { replicas: 2, readyReplicas: 2, memoryUtilization: 90 }, config: { metrics: [{ metric: 'cpu', target: 50 }, { metric: 'memory', target: 60 }] }, want: 3 },
    // No metric at all: keep the current count.
    { name: 'no data', input: { replicas: 4, readyReplicas: 4 }, want: 4 },
    // ceil(4 x 500/50) = 40, capped by max 10 (scale-up limit max(8, 8) = 8 first): 8.
    { name: 'rate limit before max', input: { replicas: 4, readyReplicas: 4, cpuUtilization: 500 }, want: 8 },
    // ceil(8 x 500/50) = 80 -> limit max(16, 12) = 16 -> max 10.
    { name: 'max', input: { replicas: 8, readyReplicas: 8, cpuUtilization: 500 }, want: 10 },
    // Below min: ceil(2 x 5/50) = 1 -> min 2 (no history, so no stabilization hold).
    { name: 'min', input: { replicas: 2, readyReplicas: 2, cpuUtilization: 5 }, config: { min: 2 }, want: 2 },
    // 0 replicas: HPA does not act.
    { name: 'scaled to zero', input: { replicas: 0, readyReplicas: 0, cpuUtilization: 100 }, want: 0 },
  ];
  for (const c of cases) {
    const d = thresholdPolicy.recommend(c.input, fresh(), 1_000_000, cfg(c.config));
    assert.equal(d.desired, c.want, `${c.name}: ${d.reason}`);
    assert.ok(d.reason.length > 0);
  }
});

test('HPA: missing and not-ready pods damp the move', () => {
  const cases: Array<{ name: string; pods: ScalingInput['pods']; replicas: number; want: number }> = [
    // Ready 100, 100; one missing. Scaling up, so missing counts 0%: (100 + 100 + 0) / 3 / 50 = 1.33 -> ceil(1.33 x 3) = 4.
    { name: 'missing on scale-up', replicas: 3, pods: [{ ready: true, values: { cpu: 100 } }, { ready: true, values: { cpu: 100 } }, { ready: true, values: {} }], want: 4 },
    // Ready 10, 10; one missing. Scaling down, so missing counts 100% of target: (10 + 10 + 50) / 3 / 50 = 0.467 -> ceil(0.467 x 3) = 2.
    { name: 'missing on scale-down', replicas: 3, pods: [{ ready: true, values: { cpu: 10 } }, { ready: true, values: { cpu: 10 } }, { ready: true, values: {} }], want: 2 },
    // Ready 90, one not ready. Ratio 1.8 says up; not-ready counts 0%: (90 + 0) / 2 / 50 = 0.9 < 1 -> reversal -> keep 2.
    { name: 'not-ready reverses', replicas: 2, pods: [{ ready: true, values: { cpu: 90 } }, { ready: false, values: {} }], want: 2 },
    // Ready 150, one not ready: (150 + 0) / 2 / 50 = 1.5 -> ceil(1.5 x 2) = 3.
    { name: 'not-ready damps', replicas: 2, pods: [{ ready: true, values: { cpu: 150 } }, { ready: false, values: {} }], want: 3 },
    // Ready 20, one not ready, scaling down: not-ready ignored: 20 / 50 = 0.4 -> ceil(0.4 x 1) = 1.
    { name: 'not-ready ignored on scale-down', replicas: 2, pods: [{ ready: true, values: { cpu: 20 } }, { ready: false, values: {} }], want: 1 },
    // Ready 52, 56, one missing: ratio 1.08 (inside tolerance once filled: (52 + 56 + 0) / 3 / 50 = 0.72 -> reversal) -> keep 3.
    { name: 'missing flips direction', replicas: 3, pods: [{ ready: true, values: { cpu: 52 } }, { ready: true, values: { cpu: 56 } }, { ready: true, values: {} }], want: 3 },
  ];
  for (const c of cases) {
    const d = thresholdPolicy.recommend({ replicas: c.replicas, readyReplicas: c.pods!.filter((p) => p.ready).length, pods: c.pods }, fresh(), 1_000_000, cfg());
    assert.equal(d.desired, c.want, `${c.name}: ${d.reason}`);
  }
});

test('HPA behavior: scale-down stabilization window (300 s) keeps the highest recent recommendation', () => {
  const c = cfg({ max: 20 });
  let s = fresh();
  // t = 0: cpu 100% on 4 replicas -> ceil(4 x 2) = 8.
  let d = thresholdPolicy.recommend({ replicas: 4, readyReplicas: 4, cpuUtilization: 100 }, s, 0, c);
  assert.equal(d.desired, 8);
  s = d.nextState;
  // t = 60 s: load halves: 8 x 25/50 = 4, but 8 was recommended 60 s ago (< 300 s) -> hold 8.
  d = thresholdPolicy.recommend({ replicas: 8, readyReplicas: 8, cpuUtilization: 25 }, s, 60_000, c);
  assert.equal(d.desired, 8, d.reason);
  s = d.nextState;
  // t = 299 s: the raw 8 from t = 0 is still inside (-1 s, 299 s] -> hold 8.
  d = thresholdPolicy.recommend({ replicas: 8, readyReplicas: 8, cpuUtilization: 25 }, s, 299_000, c);
  assert.equal(d.desired, 8, d.reason);
  s = d.nextState;
  // t = 301 s: the window (1 s, 301 s] holds only raw recommendations of 4 (t = 60, 299, 301 s) -> 4.
  // Scale-down limit: 100% per 15 s -> floor(8 x 0) = 0 -> bounded by min 1, so 4 is allowed.
  d = thresholdPolicy.recommend({ replicas: 8, readyReplicas: 8, cpuUtilization: 25 }, s, 301_000, c);
  assert.equal(d.desired, 4, d.reason);
});

test('HPA behavior: rate policies per period (Pods / Percent, selectPolicy)', () => {
  // Default scale-up: max(100% -> 2 x 2 = 4, 2 + 4 = 6) = 6 per 15 s.
  let d = thresholdPolicy.recommend({ replicas: 2, readyReplicas: 2, cpuUtilization: 1000 }, fresh(), 0, cfg({ max: 100 }));
  assert.equal(d.desired, 6, d.reason);
  // 5 s later, still in the same 15 s period: 4 added already, period start = 6 - 4 = 2 -> limit stays 6.
  d = thresholdPolicy.recommend({ replicas: 6, readyReplicas: 2, cpuUtilization: 1000 }, d.nextState, 5_000, cfg({ max: 100 }));
  assert.equal(d.desired, 6, d.reason);
  // selectPolicy Min with Pods 1 / Percent 50: min(2 + 1, ceil(2 x 1.5) = 3) = 3.
  const c = cfg({ max: 100, hpa: { scaleUp: { selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }, { type: 'Percent', value: 50, periodSeconds: 60 }] } } });
  d = thresholdPolicy.recommend({ replicas: 2, readyReplicas: 2, cpuUtilization: 1000 }, fresh(), 0, c);
  assert.equal(d.desired, 3, d.reason);
  // Scale-down Pods 1 per 60 s, no stabilization: 10 -> 9 even though 1 is asked.
  const down = cfg({ max: 100, hpa: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } });
  d = thresholdPolicy.recommend({ replicas: 10, readyReplicas: 10, cpuUtilization: 1 }, fresh(), 0, down);
  assert.equal(d.desired, 9, d.reason);
  // Scale-down Percent 10: floor(10 x 0.9) = 9.
  const pct = cfg({ max: 100, hpa: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } } });
  d = thresholdPolicy.recommend({ replicas: 10, readyReplicas: 10, cpuUtilization: 1 }, fresh(), 0, pct);
  assert.equal(d.desired, 9, d.reason);
  // Disabled scale-down: stays.
  const off = cfg({ hpa: { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } } });
  assert.equal(thresholdPolicy.recommend({ replicas: 5, readyReplicas: 5, cpuUtilization: 1 }, fresh(), 0, off).desired, 5);
  // Scale-up stabilization 60 s: up only to the lowest recommendation of the last 60 s.
  const slow = cfg({ max: 100, hpa: { scaleUp: { stabilizationWindowSeconds: 60 } } });
  const s = thresholdPolicy.recommend({ replicas: 4, readyReplicas: 4, cpuUtilization: 50 }, fresh(), 0, slow).nextState; // recommends 4
  d = thresholdPolicy.recommend({ replicas: 4, readyReplicas: 4, cpuUtilization: 100 }, s, 30_000, slow); // asks 8, min over window 4
  assert.equal(d.desired, 4, d.reason);
});
