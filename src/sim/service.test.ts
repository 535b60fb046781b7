import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateService } from './service.js';
import { loadServiceTrace } from './traces.js';
import { writeWorldCupSeries } from './synthetic-traces.js';
import type { ServiceTrace } from './traces.js';

test('service simulation: a demand step is under-provisioned for about detection + start-up', () => {
  // 10 minutes at 600 requests/min (10 rps), then 20 minutes at 6000/min (100 rps). Capacity 10 rps
  // per replica at 100% target: 1 replica, then 10. HPA sees the step at its next 15 s sync (the
  // minute boundary is a sync point, so the first sync with the new demand is 15 s in), asks
  // ceil(100 / 10) = 10 (limit max(2 x 1, 1 + 4) = 5 first, then 10 15 s later), and replicas are ready 30 s after each
  // decision: under-provisioned from 600 s until 600 + 15 + 15 + 30 = 660 s = 60 s.
  const counts = new Float64Array(30).fill(600);
  for (let m = 10; m < 30; m++) counts[m] = 6000;
  const trace: ServiceTrace = { stepMs: 60_000, startMs: 0, counts };
  const r = simulateService(trace, { policies: ['threshold', 'concurrency', 'predictive', 'learned'], capacityRps: 10, startupMs: 30_000, min: 1, max: 50, targetUtilization: 1 });
  const hpa = r.policies.find((p) => p.name === 'threshold')!;
  assert.equal(r.seconds, 1800);
  assert.equal(hpa.underProvisionedPct, Math.round((100 * 60 * 100_000) / 1800) / 100_000);
  assert.equal(hpa.peakReplicas, 10);
  for (const p of r.policies) {
    assert.ok(p.underProvisionedPct > 0 && p.underProvisionedPct < 10, `${p.name} ${p.underProvisionedPct}`);
    assert.ok(p.replicaMinutes >= 10 + 20 * 10 * 0.9, `${p.name} ${p.replicaMinutes}`);
    assert.ok(p.scalingActions >= 1);
  }
  assert.equal(r.series.t.length, r.series.demand.length);
  assert.equal(r.series.replicas['threshold']!.length, r.series.t.length);
});

test('service simulation on one day of a WorldCup98-format series', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'llmos-sim-svc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Two generated days around the one replayed, so the --from/--to cut is exercised.
  const wc = writeWorldCupSeries(join(dir, 'invocation_count.csv'), { seed: 5, from: '1998-06-29', days: 3 });
  const trace = loadServiceTrace(wc, { fromMs: Date.parse('1998-06-30T00:00:00Z'), toMs: Date.parse('1998-07-01T00:00:00Z') });
  assert.equal(trace.counts.length, 1440);
  const o = { policies: ['threshold', 'predictive'], capacityRps: 100, startupMs: 60_000, min: 1, max: 200, targetUtilization: 0.7 };
  const a = simulateService(trace, o);
  const b = simulateService(trace, o);
  assert.deepEqual(a.policies, b.policies);
  for (const p of a.policies) assert.ok(p.replicaMinutes > 0 && p.peakReplicas > 1);
});
