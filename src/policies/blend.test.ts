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

test('blend: demand that jumps back every few minutes is held through the dips (recurrence hold), within HPA\'s replica-minutes', async () => {
  // Regression (issue 22): held-out Azure series whose demand jumps at minute boundaries every few
  // minutes. blend gave replicas back 2 minutes after each jump and was short for the start-up delay
  // at every next one (4.81x HPA's under-provisioned time); HPA's 5-minute hold bridged the dips.
  const { simulateService } = await import('../sim/service.js');
  const counts = new Float64Array(90).fill(600);
  for (let m = 2; m < 90; m += 4) counts[m] = 12_000;
  const r = simulateService({ stepMs: 60_000, startMs: 0, counts }, { policies: ['threshold', 'blend'], capacityRps: 10, startupMs: 5_000, min: 1, max: 100, targetUtilization: 0.7 });
  const [hpa, blend] = r.policies as [(typeof r.policies)[0], (typeof r.policies)[0]];
  assert.ok(hpa.underProvisionedPct > 0, 'HPA is short at the first jump');
  assert.ok(blend.underProvisionedPct <= 0.5 * hpa.underProvisionedPct, `blend short ${blend.underProvisionedPct}% vs HPA ${hpa.underProvisionedPct}%`);
  assert.ok(blend.replicaMinutes <= 1.1 * hpa.replicaMinutes, `blend ${blend.replicaMinutes} vs HPA ${hpa.replicaMinutes} replica-minutes`);
});

test('blend: the hold is logged in the reason and forgotten when the cycle stops', () => {
  let s: unknown = blendPolicy.initialState(config);
  let replicas = 1;
  let ready = 1;
  let held = '';
  let last = 0;
  for (let t = 0; t <= 3_600_000; t += 2000) {
    // Jumps to 200 rps for 30 s every 4 minutes during the first 20 minutes, then 10 rps (the hold is forgotten 20 minutes later).
    const rps = t < 1_200_000 && t % 240_000 < 30_000 ? 200 : 10;
    const d = blendPolicy.recommend({ replicas, readyReplicas: ready, rps }, s as never, t, config);
    s = d.nextState;
    ready = Math.min(d.desired, replicas); // new replicas are ready one tick later
    replicas = d.desired;
    if (/held at/.test(d.reason)) held = d.reason;
    last = d.desired;
  }
  assert.match(held, /held at \d+ for \d+ s \(demand came back after \d+ recent dips/);
  assert.ok(last <= 3, `back to ${last} replicas 40 minutes after the last jump`);
});
