import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binCount, fixedKeepAlive, hybridKeepAlive, parseKeepAlive } from './keepalive.js';
import { adaptiveKeepAlive } from './adaptive-keepalive.js';
import { InvalidArgument } from '../kernel/errors.js';
import type { KeepAlivePolicy } from '../contracts/policies.js';

const MIN = 60_000;

/** Feeds arrivals at the given minutes and returns the decision after the last one. */
function after(policy: KeepAlivePolicy, minutes: number[]) {
  let s = policy.initialState();
  for (const m of minutes) s = policy.observe(s, m * MIN);
  return policy.decide(s, minutes[minutes.length - 1]! * MIN);
}

test('parseKeepAlive accepts fixed, hybrid and adaptive specs and rejects others', () => {
  const cases: Array<[string, string]> = [
    ['fixed:10m', 'fixed:10m'],
    ['fixed:30s', 'fixed:30s'],
    ['fixed:1h', 'fixed:1h'],
    ['hybrid', 'hybrid'],
    ['hybrid-histogram', 'hybrid'],
    ['adaptive', 'adaptive'],
  ];
  for (const [spec, name] of cases) assert.equal(parseKeepAlive(spec).name, name, spec);
  // fixed:30s keeps 30 000 ms after every invocation, no pre-warm.
  assert.deepEqual({ ...after(parseKeepAlive('fixed:30s'), [0]), reason: '' }, { prewarmMs: 0, keepAliveMs: 30_000, reason: '' });
  for (const bad of ['', 'fixed', 'fixed:', 'fixed:10x', 'lru', 'fixed:-1m']) assert.throws(() => parseKeepAlive(bad), InvalidArgument, bad);
  assert.throws(() => fixedKeepAlive(Number.NaN), InvalidArgument);
});

test('hybrid-histogram: windows from the idle-time percentiles, with fallbacks', () => {
  const h = hybridKeepAlive();
  const cases: Array<{ name: string; minutes: number[]; prewarmMin: number; keepMin: number }> = [
    // No idle time yet: histogram not representative -> keep for the whole 4 h range.
    { name: 'first invocation', minutes: [0], prewarmMin: 0, keepMin: 240 },
    // Idle times 30 min x 4: head = tail = bin 30. Pre-warm 30 x 0.9 = 27 min; warm until
    // (30 + 1) x 1.1 = 34.1 min, so keep-alive = 34.1 - 27 = 7.1 min.
    { name: 'periodic 30 min', minutes: [0, 30, 60, 90, 120], prewarmMin: 27, keepMin: 7.1 },
    // Idle times 0 (same minute) and 2 min: p5 = bin 0 -> no pre-warm; p99 = bin 2 -> (2 + 1) x 1.1 = 3.3 min.
    { name: 'frequent', minutes: [0, 0, 2, 2, 4, 4, 6], prewarmMin: 0, keepMin: 3.3 },
    // Idle times of 5 h are out of the 4 h range (100% OOB >= 50%): forecast 300 min,
    // pre-warm 300 x 0.85 = 255 min, keep 2 x 0.15 x 300 = 90 min.
    { name: 'out of bounds', minutes: [0, 300, 600], prewarmMin: 255, keepMin: 90 },
  ];
  for (const c of cases) {
    const d = after(h, c.minutes);
    assert.ok(Math.abs(d.prewarmMs - c.prewarmMin * MIN) < 1e-6, `${c.name}: prewarm ${d.prewarmMs / MIN} min`);
    assert.ok(Math.abs(d.keepAliveMs - c.keepMin * MIN) < 1e-6, `${c.name}: keep ${d.keepAliveMs / MIN} min`);
    assert.ok(d.reason.length > 0);
  }
  // A flat histogram (CV < 2) is not representative: idle times spread evenly over 1..200 min.
  let s = h.initialState();
  let t = 0;
  s = h.observe(s, t);
  for (let i = 1; i <= 200; i++) s = h.observe(s, (t += i * MIN));
  assert.equal(h.decide(s, t).keepAliveMs, 240 * MIN);
});

test('hybrid state is not mutated by observe (pure)', () => {
  const h = hybridKeepAlive();
  const s0 = h.observe(h.initialState(), 0);
  const s1 = h.observe(s0, 5 * MIN);
  const s2 = h.observe(s0, 7 * MIN);
  assert.equal(binCount(s1.bins, 5), 1);
  assert.equal(binCount(s2.bins, 5), 0);
  assert.equal(binCount(s2.bins, 7), 1);
  assert.equal(s0.inRange, 0);
});

test('adaptive: long keep while unsure, pre-warm once periodic, percentiles of the recent window', () => {
  const a = adaptiveKeepAlive();
  const cases: Array<{ name: string; minutes: number[]; prewarmMin: number; keepMin: number }> = [
    // First invocation: keep 2 h.
    { name: 'first', minutes: [0], prewarmMin: 0, keepMin: 120 },
    // One idle time of 180 min: keep max(120, 1.5 x 180 = 270) = 270 min.
    { name: 'one long idle time', minutes: [0, 180], prewarmMin: 0, keepMin: 270 },
    // One idle time of 600 min: 1.5 x 600 = 900, capped at 6 h = 360 min.
    { name: 'capped', minutes: [0, 600], prewarmMin: 0, keepMin: 360 },
    // Idle times 10, 20, 30, 40 min: fewer than 8 and irregular -> keep max(120, 1.5 x 40) = 120 min.
    { name: 'few, irregular', minutes: [0, 10, 30, 60, 100], prewarmMin: 0, keepMin: 120 },
    // Two idle times of 60 min (spread 0 <= 10%): periodic. p5 = p90 = 60:
    // pre-warm 60 x 0.95 = 57 min, warm until 60 x 1.05 = 63 min -> keep 6 min.
    { name: 'periodic early', minutes: [0, 60, 120], prewarmMin: 57, keepMin: 6 },
    // Idle times 1 min x 5 (periodic): p90 x 1.05 = 1.05 min < 2 min floor -> keep 2 min;
    // p5 x 0.95 = 0.95 min < 1 min gap -> no pre-warm.
    { name: 'frequent floor', minutes: [0, 1, 2, 3, 4, 5], prewarmMin: 0, keepMin: 2 },
    // Idle times 10, 20, ..., 80 min (8 samples). p5: position 7 x 0.05 = 0.35 -> 10 + 0.35 x 10 = 13.5,
    // pre-warm 13.5 x 0.95 = 12.825 min. p90: position 7 x 0.9 = 6.3 -> 70 + 0.3 x 10 = 73,
    // warm until 73 x 1.05 = 76.65 min -> keep 76.65 - 12.825 = 63.825 min.
    { name: 'percentiles', minutes: [0, 10, 30, 60, 100, 150, 210, 280, 360], prewarmMin: 12.825, keepMin: 63.825 },
  ];
  for (const c of cases) {
    const d = after(a, c.minutes);
    assert.ok(Math.abs(d.prewarmMs - c.prewarmMin * MIN) < 1e-6, `${c.name}: prewarm ${d.prewarmMs / MIN}`);
    assert.ok(Math.abs(d.keepAliveMs - c.keepMin * MIN) < 1e-6, `${c.name}: keep ${d.keepAliveMs / MIN}`);
    assert.ok(d.reason.length > 0);
  }
  // The window forgets: after 40 idle times of 5 min, the old 100-min gap no longer counts:
  // pre-warm 4.75 min, warm until 5.25 min.
  const mins = [0, 100];
  for (let i = 1; i <= 40; i++) mins.push(100 + 5 * i);
  const late = after(a, mins);
  assert.ok(Math.abs(late.prewarmMs + late.keepAliveMs - 5.25 * MIN) < 1e-6, String((late.prewarmMs + late.keepAliveMs) / MIN));
});
