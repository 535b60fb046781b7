import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concurrencyPolicy, type ConcurrencyState } from './concurrency.js';
import type { AutoscaleConfig } from './types.js';

// Target concurrency 10 per replica x 70% utilisation = 7.
const cfg = (over: Partial<AutoscaleConfig> = {}): AutoscaleConfig => ({ min: 0, max: 100, periodMs: 2000, startupMs: 5000, metrics: [{ metric: 'concurrency', target: 10 }], ...over });

/** Ticks every 2 s with the given concurrency values; returns the last decision. */
function run(values: number[], ready: number | ((i: number) => number), start: ConcurrencyState = concurrencyPolicy.initialState(cfg()), t0 = 0, c = cfg()) {
  let s = start;
  let d!: ReturnType<typeof concurrencyPolicy.recommend>;
  let replicas = typeof ready === 'number' ? ready : ready(0);
  values.forEach((v, i) => {
    const r = typeof ready === 'number' ? ready : ready(i);
    d = concurrencyPolicy.recommend({ replicas, readyReplicas: r, concurrency: v }, s, t0 + i * 2000, c);
    s = d.nextState;
    replicas = d.desired;
  });
  return { d, s };
}

test('KPA stable mode: ceil(stable average / (target x utilisation))', () => {
  const cases: Array<{ name: string; values: number[]; ready: number; want: number }> = [
    // 60 s of 10: 10 / 7 = 1.43 -> 2.
    { name: 'steady 10', values: Array(30).fill(10), ready: 2, want: 2 },
    // 60 s of 70: 70 / 7 = 10 -> 10.
    { name: 'steady 70', values: Array(30).fill(70), ready: 10, want: 10 },
    // 60 s of 7 with 10 ready: 7 / 7 = 1, but max scale-down rate 2 -> floor(10 / 2) = 5.
    { name: 'scale-down rate', values: Array(30).fill(7), ready: 10, want: 5 },
  ];
  for (const c of cases) {
    const { d } = run(c.values, c.ready);
    assert.equal(d.desired, c.want, `${c.name}: ${d.reason}`);
    assert.match(d.reason, /^stable/);
  }
});

test('KPA panic mode: starts at 200%, holds the maximum, ends after a stable window', () => {
  // 54 s at 5, then 6 s at 41 on 1 ready replica. Panic window (6 s) holds the last 3 ticks: 41 / 7 = 5.9 -> 6;
  // 6 / 1 ready >= 200% -> panic, desired 6. (Stable: (27 x 5 + 3 x 41) / 30 = 8.6 / 7 -> only 2.)
  let { d, s } = run([...Array(27).fill(5), 41, 41, 41], 1);
  assert.equal(d.desired, 6, d.reason);
  assert.match(d.reason, /^panic: 6 s concurrency 41\.0 \/ target 7\.0 = 5\.9 replicas/);
  // Load drops to 0: panic window (41, 41, 0) / 3 = 27.3 -> 4 < 6, but no scale-down while panicking -> 6.
  d = concurrencyPolicy.recommend({ replicas: 6, readyReplicas: 6, concurrency: 0 }, s, 60_000, cfg());
  assert.equal(d.desired, 6, d.reason);
  s = d.nextState;
  // 60 s after panic last held (started at t = 58 s), with no new panic: back to stable mode.
  const later = run(Array(31).fill(7), 6, s, 62_000);
  assert.match(later.d.reason, /^stable/);
  // Stable 7 / 7 = 1, limited by scale-down rate floor(6 / 2) = 3.
  assert.equal(later.d.desired, 3, later.d.reason);
});

test('KPA scale to zero only after the stable window plus the grace period without traffic', () => {
  const c = cfg();
  let { s } = run(Array(30).fill(7), 1);
  // Traffic stops at t = 60 s; the last traffic sample was at t = 58 s.
  let d = concurrencyPolicy.recommend({ replicas: 1, readyReplicas: 1, concurrency: 0 }, s, 60_000 + 58_000, c);
  // 60 s later the stable window is all zeros, but 60 s < 60 + 30 s -> keep 1.
  assert.equal(d.desired, 1, d.reason);
  s = d.nextState;
  d = concurrencyPolicy.recommend({ replicas: 1, readyReplicas: 1, concurrency: 0 }, s, 58_000 + 90_000, c);
  assert.equal(d.desired, 0, d.reason);
  assert.match(d.reason, /scale to zero/);
  // min 1 never goes to zero.
  d = concurrencyPolicy.recommend({ replicas: 1, readyReplicas: 1, concurrency: 0 }, s, 58_000 + 90_000, cfg({ min: 1 }));
  assert.equal(d.desired, 1);
});

test('KPA max scale-up rate and zero ready replicas', () => {
  // Rate 2: at most ceil(2 x 1) = 2 from 1 ready, though 70 / 7 = 10 are wanted.
  const c = cfg({ kpa: { maxScaleUpRate: 2 } });
  const { d } = run(Array(30).fill(70), 1, concurrencyPolicy.initialState(c), 0, c);
  assert.equal(d.desired, 2, d.reason);
  // From zero ready replicas the maths uses 1 (the activator buffers): 14 / 7 = 2.
  const z = concurrencyPolicy.recommend({ replicas: 0, readyReplicas: 0, concurrency: 14 }, concurrencyPolicy.initialState(cfg()), 0, cfg());
  assert.equal(z.desired, 2, z.reason);
});
