import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blendPolicy } from './blend.js';
import { learnedPolicy } from './learned.js';
import type { AutoscaleConfig } from './types.js';

const config: AutoscaleConfig = { min: 1, max: 50, periodMs: 2000, startupMs: 5000, metrics: [{ metric: 'rps', target: 10 }] };

/** A one-minute burst to 200 rps on 10 rps (replicas ready at once): the peak, and what each policy holds 150 s after. */
function heldAfterBurst(p: typeof blendPolicy | typeof learnedPolicy): { peak: number; at150s: number } {
  let s: unknown = p.initialState(config);
  let peak = 0;
  let at150s = 0;
  let replicas = 1;
  for (let t = 0; t <= 400_000; t += 2000) {
    const rps = t >= 100_000 && t < 160_000 ? 200 : 10;
    const d = (p as typeof blendPolicy).recommend({ replicas, readyReplicas: replicas, rps }, s as never, t, config);
    s = d.nextState;
    replicas = d.desired;
    peak = Math.max(peak, d.desired);
    if (t === 160_000 + 150_000) at150s = d.desired;
  }
  return { peak, at150s };
}

test('blend: the panic path meets a burst, and the forecast floor gives the capacity back after its 2-minute hold', () => {
  const b = heldAfterBurst(blendPolicy);
  assert.ok(b.peak >= 20, `peak ${b.peak}`);
  // 150 s after the burst: blend has scaled down (2-minute hold), learned still holds its peak (5-minute hold).
  assert.ok(b.at150s <= 3, `blend holds ${b.at150s}`);
  const l = heldAfterBurst(learnedPolicy);
  assert.ok(l.at150s >= 20, `learned holds ${l.at150s}`);
});
