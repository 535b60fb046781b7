import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceExhausted } from '../../kernel/errors.js';
import { CycleState as CycleStateCtor, numFeasibleNodesToFind } from './framework.js';
import { Cluster, podInfo } from './node-info.js';
import { buildFramework, profileConfig } from './profile.js';
import { QuotaBook } from './quota.js';
import { Scheduler, compareCandidates, schedule } from './scheduler.js';
import type { NodeSpec } from './types.js';

const Mi = 2 ** 20;
const Gi = 2 ** 30;
const node = (name: string, cpu: number, mem: number, extra: Partial<NodeSpec> = {}): NodeSpec => ({ name, capacity: { cpu, memory: mem, pids: 1000 }, ...extra });
const fw = (name = 'default') => buildFramework(profileConfig(name));

test('numFeasibleNodesToFind follows kube-scheduler', () => {
  const cases: Array<[number, number, number, string]> = [
    [50, 0, 50, 'under 100 nodes: all'],
    [1000, 0, 420, 'adaptive 50 - 1000/125 = 42% -> 420'],
    [5000, 0, 500, 'adaptive 50 - 40 = 10% -> 500'],
    [10000, 0, 500, '50 - 80 < 5 -> 5% -> 500'],
    [5000, 100, 5000, '100% means every node'],
    [1000, 5, 100, '5% of 1000 = 50 < 100 -> 100'],
  ];
  for (const [n, pct, want, why] of cases) assert.equal(numFeasibleNodesToFind(n, pct), want, why);
});

test('default profile spreads, binpack profile packs', () => {
  const nodes = [node('a', 4000, 8 * Gi), node('b', 4000, 8 * Gi)];
  const req = { requests: { cpu: 1000, memory: 1 * Gi } };
  for (const [profile, want] of [['default', ['a', 'b', 'a', 'b']], ['binpack', ['a', 'a', 'a', 'a']]] as const) {
    const c = new Cluster(nodes);
    const s = new Scheduler(c, fw(profile));
    const got = [1, 2, 3, 4].map((i) => s.place({ id: `${profile}-${i}`, ...req }).node);
    assert.deepEqual(got, want, profile);
  }
});

test('a single node reports the full reason; many nodes are counted by reason', () => {
  const one = new Cluster([node('n', 4000, 1024 * Mi, { reserved: { memory: 224 * Mi } })]);
  one.assume(podInfo({ id: 'x', requests: { memory: 500 * Mi } }), 'n');
  // allocatable 1024 - 224 = 800Mi; 800 - 500 = 300Mi free
  const r1 = schedule(fw(), one, podInfo({ id: 'p', requests: { memory: 512 * Mi } }));
  assert.equal(r1.node, undefined);
  assert.equal(r1.message, 'needs 512Mi memory, node has 300Mi allocatable free');

  const many = new Cluster([node('a', 1000, Gi), node('b', 1000, Gi), node('c', 8000, Gi, { labels: { role: 'edge' } })]);
  const r2 = schedule(fw(), many, podInfo({ id: 'p', requests: { cpu: 2000 }, nodeSelector: { role: 'cloud' } }));
  assert.equal(r2.message, "0/3 nodes are available: 3 node(s) didn't match node selector (no node has label role=cloud)");
  const r2b = schedule(fw(), many, podInfo({ id: 'p', requests: { cpu: 9000 }, nodeSelector: { role: 'edge' } }));
  // c is the only edge node and lacks CPU; a and b were excluded by the label index
  assert.equal(r2b.message, "0/3 nodes are available: 2 node(s) didn't match node selector, 1 Insufficient cpu");
  const r3 = schedule(fw(), many, podInfo({ id: 'p', requests: { cpu: 2000 } }));
  assert.equal(r3.node, 'c');
  const r4 = schedule(fw(), many, podInfo({ id: 'p', requests: { cpu: 9000 } }));
  assert.equal(r4.message, '0/3 nodes are available: 3 Insufficient cpu');
});

test('quota and node reasons are reported together', () => {
  const c = new Cluster([node('n', 4000, 1024 * Mi, { reserved: { memory: 224 * Mi } })]);
  const q = new QuotaBook();
  q.set('team-a', { memory: 600 * Mi });
  const s = new Scheduler(c, fw(), q);
  s.place({ id: 'w1', namespace: 'team-a', requests: { memory: 500 * Mi } });
  // node: 800 - 500 = 300Mi free; quota: 600 - 500 = 100Mi left
  assert.throws(() => s.place({ id: 'w2', namespace: 'team-a', requests: { memory: 512 * Mi } }), (e: unknown) => {
    assert.ok(e instanceof ResourceExhausted);
    assert.equal(e.message, 'workload w2 does not fit: needs 512Mi memory, node has 300Mi allocatable free; quota team-a has 100Mi memory left');
    return true;
  });
  // Fits the node but not the quota.
  assert.throws(() => s.place({ id: 'w3', namespace: 'team-a', requests: { memory: 200 * Mi } }), /^ResourceExhausted: workload w3 does not fit: quota team-a has 100Mi memory left$|quota team-a has 100Mi memory left$/);
  q.set('team-a', { memory: 600 * Mi, workloads: 1 });
  assert.throws(() => s.place({ id: 'w4', namespace: 'team-a', requests: { memory: 10 * Mi } }), /quota team-a allows 1 workloads and has 1/);
  s.release('w1');
  assert.equal(s.place({ id: 'w5', namespace: 'team-a', requests: { memory: 512 * Mi } }).node, 'n', 'release returns quota and capacity');
});

test('preemption picks the node with the fewest, lowest-priority victims', () => {
  const c = new Cluster([node('a', 4000, 4 * Gi), node('b', 4000, 4 * Gi), node('c', 4000, 4 * Gi)]);
  // a: two priority-1 workloads of 2Gi; b: one priority-5 of 4Gi; c: one priority-1 of 3Gi, one priority-0 of 1Gi
  c.assume(podInfo({ id: 'a1', priority: 1, requests: { memory: 2 * Gi } }), 'a');
  c.assume(podInfo({ id: 'a2', priority: 1, requests: { memory: 2 * Gi } }), 'a');
  c.assume(podInfo({ id: 'b1', priority: 5, requests: { memory: 4 * Gi } }), 'b');
  c.assume(podInfo({ id: 'c1', priority: 1, requests: { memory: 3 * Gi } }), 'c');
  c.assume(podInfo({ id: 'c0', priority: 0, requests: { memory: 1 * Gi } }), 'c');
  const s = new Scheduler(c, fw());
  // Needs 2Gi at priority 10. a: evict one priority-1 (max 1, 1 victim). b: evict priority 5.
  // c: reprieve c1 (priority 1) first -> needs 2Gi, only 1Gi free with c1 back, so c1 is a victim;
  //    then c0 fits back? with c1 gone 3Gi free, c0 back leaves 2Gi -> c0 reprieved. c: 1 victim, max 1.
  // a and c tie on (max 1, 1 victim, sum 1): the first evaluated wins -> a.
  const p = s.place({ id: 'hi', priority: 10, requests: { memory: 2 * Gi } });
  assert.equal(p.node, 'a');
  assert.deepEqual(p.preempted.map((v) => v.id).length, 1);
  assert.equal(c.podCount(), 5, 'one victim out, the new workload in');
  // Equal priority never preempts.
  assert.throws(() => s.place({ id: 'eq', priority: 1, requests: { memory: 3 * Gi } }), /nodes are available/);
});

test('compareCandidates: lowest highest priority, then fewest, then lowest sum', () => {
  const v = (...prios: number[]) => prios.map((priority, i) => podInfo({ id: `v${i}`, priority }));
  assert.ok(compareCandidates(v(1, 1), v(2)) < 0, 'max 1 beats max 2 even with more victims');
  assert.ok(compareCandidates(v(1), v(1, 0)) < 0, 'fewer victims');
  assert.ok(compareCandidates(v(1, 0), v(1, 1)) < 0, 'lower sum');
});

test('preemption does not help with an unresolvable mismatch', () => {
  const c = new Cluster([node('a', 1000, Gi, { labels: { role: 'edge' } })]);
  c.assume(podInfo({ id: 'low', priority: 0, requests: { cpu: 1000 } }), 'a');
  const r = schedule(fw(), c, podInfo({ id: 'p', priority: 100, requests: { cpu: 500 }, nodeSelector: { role: 'cloud' } }));
  assert.equal(r.node, undefined);
  assert.equal(r.victims.length, 0);
});

test('host-port conflicts are freed by preempting the holder', () => {
  const c = new Cluster([node('a', 4000, 4 * Gi)]);
  c.assume(podInfo({ id: 'holder', priority: 0, hostPorts: [{ port: 80 }] }), 'a');
  const r = schedule(fw(), c, podInfo({ id: 'p', priority: 5, hostPorts: [{ port: 80 }] }));
  assert.equal(r.node, 'a');
  assert.deepEqual(r.victims.map((v) => v.id), ['holder']);
});

test('unknown profile or plugin fails at construction', () => {
  assert.throws(() => profileConfig('nope'), /unknown scheduling profile nope/);
  assert.throws(() => buildFramework({ name: 'x', filters: ['Nope'], scores: [] }), /unknown plugin Nope/);
  assert.throws(() => buildFramework({ name: 'x', filters: ['NodeSelector'], scores: [{ name: 'NodeSelector', weight: 1 }] }), /has no score/);
});

test('zone spread across replicas of one service', () => {
  const c = new Cluster(['a', 'b', 'c'].flatMap((z) => [node(`${z}1`, 8000, 16 * Gi, { labels: { zone: z } }), node(`${z}2`, 8000, 16 * Gi, { labels: { zone: z } })]));
  const s = new Scheduler(c, fw());
  const zones = [1, 2, 3, 4, 5, 6].map((i) => c.node(s.place({ id: `web-${i}`, spreadKey: 'service/web', requests: { cpu: 100, memory: 128 * Mi } }).node).zone);
  assert.deepEqual([...zones.slice(0, 3)].sort(), ['a', 'b', 'c'], 'the first three replicas take one zone each');
  assert.deepEqual(zones.reduce<Record<string, number>>((m, z) => ({ ...m, [z]: (m[z] ?? 0) + 1 }), {}), { a: 2, b: 2, c: 2 });
});

test('every plugin scoreAll agrees with score node by node', () => {
  const c = new Cluster(
    Array.from({ length: 40 }, (_, i) =>
      node(`n${i}`, 2000 + (i % 5) * 1000, (2 + (i % 3)) * Gi, {
        labels: i % 4 ? { zone: `z${i % 3}` } : {},
        taints: i % 6 === 0 ? [{ key: 'soft', effect: 'PreferNoSchedule' }] : [],
        images: i % 2 ? { 'img:1': (100 + i) * Mi } : {},
      }),
    ),
  );
  for (let i = 0; i < 60; i++) c.assume(podInfo({ id: `p${i}`, requests: { cpu: 100 * (i % 4), memory: (i % 5) * 64 * Mi }, spreadKey: i % 2 ? 'svc/a' : undefined }), `n${(i * 7) % 40}`);
  const framework = fw();
  for (const pod of [podInfo({ id: 'x', image: 'img:1', spreadKey: 'svc/a', requests: { cpu: 300, memory: 100 * Mi } }), podInfo({ id: 'y' })]) {
    for (const { plugin } of framework.scores) {
      const st = new CycleStateCtor();
      for (const p of framework.preScores) p.preScore(st, pod, c.nodes, c);
      const all = new Float64Array(c.nodes.length);
      plugin.scoreAll!(st, pod, c.nodes, all);
      assert.deepEqual([...all], c.nodes.map((n) => plugin.score(st, pod, n)), plugin.name);
    }
  }
});
