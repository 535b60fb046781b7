import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costKeepAlive } from './cost-keepalive.js';
import { parseKeepAlive } from './keepalive.js';

const MIN = 60_000;

/** Feeds arrivals at the given minutes to a function of the given size and returns the decision after the last one. */
function after(minutes: number[], fn: { memoryMb?: number; timer?: boolean } = {}, policy = costKeepAlive()) {
  let s = policy.initialState(fn);
  for (const m of minutes) s = policy.observe(s, m * MIN);
  return policy.decide(s, minutes[minutes.length - 1]! * MIN);
}

const end = (d: { prewarmMs: number; keepAliveMs: number }) => (d.prewarmMs + d.keepAliveMs) / MIN;

test('cost: parseKeepAlive knows it', () => {
  assert.equal(parseKeepAlive('cost').name, 'cost');
});

test('cost: a timer gets the pre-warm window around its period from one idle time', () => {
  const d = after([0, 30], { timer: true });
  // 30 min x (1 - 3%) - 1 min = 28.1 min (arrivals are known to the minute); warm until 30 x 1.03 + 1 = 31.9 min.
  assert.ok(Math.abs(d.prewarmMs / MIN - 28.1) < 1e-9, `pre-warm at ${d.prewarmMs / MIN} min`);
  assert.ok(Math.abs(end(d) - 31.9) < 1e-9, `warm until ${end(d)} min`);
  assert.match(d.reason, /period 30m.*timer/);
  // The same single idle time on an app not known to be a timer is not trusted as a period.
  assert.doesNotMatch(after([0, 30]).reason, /period/);
});

test('cost: the windows run from the last arrival, not from when the instance went idle', () => {
  // A 30-minute timer whose job runs 10 s: decided when it goes idle, the pre-warm comes 10 s sooner.
  const policy = costKeepAlive();
  let s = policy.initialState({ timer: true });
  for (const m of [0, 30]) s = policy.observe(s, m * MIN);
  const d = policy.decide(s, 30 * MIN + 10_000);
  assert.ok(Math.abs(d.prewarmMs - (28.1 * MIN - 10_000)) < 1e-6, `pre-warm at ${d.prewarmMs / MIN} min`);
  assert.ok(Math.abs(d.prewarmMs + d.keepAliveMs - (31.9 * MIN - 10_000)) < 1e-6, `warm until ${end(d)} min`);
});

test('cost: repeating idle times make any app periodic, within the per-minute jitter; irregular ones do not', () => {
  assert.match(after([0, 10, 20, 30, 40, 50]).reason, /period 10m/);
  // A 5-minute job seen to the minute: gaps 4.4 to 5.6 min are one period, and the window covers them.
  const jittered = after([0, 5.6, 10, 15.5, 20.1, 24.6]);
  assert.match(jittered.reason, /period 4\.4m\.\.5\.6m/);
  assert.ok(jittered.prewarmMs / MIN <= 4.4 * 0.97 - 1 + 1e-9 && end(jittered) >= 5.6, JSON.stringify(jittered));
  assert.doesNotMatch(after([0, 10, 13, 40, 41, 70]).reason, /period/);
});

test('cost: a cold start is dearer for a rare app than for a busy one, and for a small function than a big one', () => {
  // Same idle-time pattern (gaps of 20 to 60 min), observed over a long or a short span.
  const gaps = [20, 45, 25, 60, 30, 50, 35, 40, 55];
  const at = (scale: number) => gaps.reduce<number[]>((a, g) => [...a, a[a.length - 1]! + g * scale], [0]);
  const rare = after(at(1), { memoryMb: 128 });
  const big = after(at(1), { memoryMb: 2048 });
  assert.ok(end(rare) >= 60, `a small rare app is kept through its longest gap (until ${end(rare)} min)`);
  assert.ok(end(big) < end(rare), `a 2 GiB function is kept for less (${end(big)} vs ${end(rare)} min)`);
  assert.match(rare.reason, /calls\/day, a cold start worth/);
});

test('cost: a first invocation follows the prior: kept for a while, not for hours', () => {
  const d = after([0], { memoryMb: 128 });
  assert.equal(d.prewarmMs, 0);
  assert.ok(end(d) >= 5 && end(d) <= 150, `kept ${end(d)} min`);
  assert.match(d.reason, /0 idle times \+ prior/);
});

test('cost: decisions are bounded and never negative', () => {
  for (const minutes of [[0], [0, 0, 0], [0, 1e6], [0, 0.001, 0.002, 5000]]) {
    const d = after(minutes, { memoryMb: 1 });
    assert.ok(d.prewarmMs >= 0 && d.keepAliveMs >= 0 && d.prewarmMs + d.keepAliveMs <= 150 * MIN + 1, JSON.stringify({ minutes, d }));
  }
});
