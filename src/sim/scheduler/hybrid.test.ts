import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths.js';
import { loadOpenbTrace, type TracePod } from './trace.js';
import { simulateHybrid } from './hybrid.js';

const Gi = 2 ** 30;
const pod = (name: string, arrival: number, departure: number, cpu = 2000): TracePod => ({ name, cpu, memory: Gi, qos: 'LS', arrival, departure, gpus: 0 });
// 1 private + 1 public node of 4 CPUs: 2 pods of 2 CPUs fit on each.
const pool = { privateNodes: 1, publicNodes: 1, nodeCpu: 4000, nodeMemory: 16 * Gi, buckets: 4 };

test('private first, then public; the 5th pod fits nowhere; a departure scales down from public first', () => {
  // a, b fill the private node at t=0,1; c, d burst at t=2,3; e is rejected at t=4. a leaves at t=50:
  // the daemon's scale-down takes a public replica (d, the youngest there), not a.
  const pods = [pod('a', 0, 50), pod('b', 1, 100), pod('c', 2, 100), pod('d', 3, 100), pod('e', 4, 100)];
  const r = simulateHybrid(pods, { ...pool, moveBack: 0 });
  assert.equal(r.placed, 4);
  assert.equal(r.rejected, 1);
  assert.match(Object.keys(r.rejectReasons)[0]!, /cpu/i);
  assert.equal(r.burstPlacements, 2);
  // a's departure (t=50) takes d, b's (t=100) takes c: both from the public node.
  assert.equal(r.scaleDownFromBurst, 2);
  // Peak: 2 of 4 replicas on public (50%), from t=3.
  assert.deepEqual(r.peak, { publicReplicas: 2, publicReplicaPct: 50, publicCpuPct: 50, atSeconds: 3 });
  // Series over 100 s in 4 buckets of 25 s; after t=50: 1 public of 3.
  assert.equal(r.series.length, 4);
  assert.equal(r.series[3]!.publicReplicas, 0);
  assert.equal(r.series[2]!.publicReplicaPct, 33.3);
  // Mean public share of replicas, time-weighted: 0 (0..2), 33.3 (2..3), 50 (3..50), 33.3 (50..100), 0 at the end.
  const mean = (0 * 2 + 33.33 * 1 + 50 * 47 + 33.33 * 50) / 100;
  assert.ok(Math.abs(r.mean.publicReplicaPct - mean) < 0.2, `${r.mean.publicReplicaPct} vs ${mean}`);
});

test('move-back: a departure from the private node brings a public replica back (the daemon moves one when a preferred node has room)', () => {
  // Two shapes so the scale-down of a's service cannot take a public replica: a (1 CPU) leaves from private.
  const pods = [pod('a', 0, 50, 2000), { ...pod('b', 1, 100, 2000), qos: 'BE' }, { ...pod('c', 2, 100, 2000), qos: 'BE' }];
  const off = simulateHybrid(pods, { ...pool, moveBack: 0 });
  assert.equal(off.movedBack, 0);
  assert.equal(off.series[2]!.publicReplicas, 1, "at t=75 c is still on public");
  const on = simulateHybrid(pods, { ...pool, moveBack: 8 });
  assert.equal(on.movedBack, 1);
  assert.equal(on.series[2]!.publicReplicas, 0);
  assert.ok(on.mean.publicReplicaPct < off.mean.publicReplicaPct);
});

test('a placement of any labels: prefer public (every pod there while it fits), burst private', () => {
  const pods = [pod('a', 0, 10), pod('b', 1, 10), pod('c', 2, 10)];
  const r = simulateHybrid(pods, { ...pool, placement: { prefer: { cloud: 'public' }, burst: { cloud: 'private' } } });
  assert.equal(r.burstPlacements, 1);
  assert.equal(r.peak.publicReplicaPct, 100);
});

const trace = path.join(projectRoot(), '..', 'shared', 'traces', 'alibaba-gpu2023', 'openb_pod_list_default.csv');
test('the Alibaba trace on 6 private + 8 public nodes: public replicas only once private is short; a public share is reported', { skip: existsSync(trace) ? false : `no trace at ${trace}` }, () => {
  const pods = loadOpenbTrace(trace);
  const r = simulateHybrid(pods, { privateNodes: 6, publicNodes: 8, nodeCpu: 64_000, nodeMemory: 512 * Gi, moveBack: 8, buckets: 24 });
  assert.equal(r.placed + r.rejected, pods.length);
  assert.ok(r.burstPlacements > 0 && r.burstPlacements < r.placed, `${r.burstPlacements} of ${r.placed} on public`);
  assert.ok(r.peak.publicReplicaPct > r.mean.publicReplicaPct && r.mean.publicReplicaPct > 0);
  assert.equal(r.series.length, 24);
  // With all nodes private there is nothing to burst to.
  const privOnly = simulateHybrid(pods, { privateNodes: 14, publicNodes: 0, nodeCpu: 64_000, nodeMemory: 512 * Gi });
  assert.equal(privOnly.burstPlacements, 0);
  assert.equal(privOnly.peak.publicReplicaPct, 0);
});
