import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../framework.js';
import { NodeInfo, podInfo } from '../node-info.js';
import { NodeResourcesFit, leastRequestedScore, mostRequestedScore, shapeScore, type FitArgs } from './node-resources-fit.js';

const Mi = 2 ** 20;
const node = (cpu: number, memMi: number, used: Array<[number, number]> = []) => {
  const n = new NodeInfo({ name: 'n', capacity: { cpu, memory: memMi * Mi, pids: 1000 } });
  used.forEach(([c, m], i) => n.addPod(podInfo({ id: `u${i}`, requests: { cpu: c, memory: m * Mi } })));
  return n;
};

test('leastRequestedScore and mostRequestedScore', () => {
  const cases: Array<[number, number, number, number, string]> = [
    // requested, capacity, least, most
    [3000, 4000, 25, 75, '(4000-3000)*100/4000 = 25; 3000*100/4000 = 75'],
    [0, 4000, 100, 0, 'empty node'],
    [4000, 4000, 0, 100, 'full node'],
    [5000, 4000, 0, 100, 'over capacity: least 0, most capped at 100'],
    [1000, 3000, 66, 33, '2000*100/3000 = 66.6 -> 66; 1000*100/3000 = 33.3 -> 33'],
    [10, 0, 0, 0, 'no capacity scores 0'],
  ];
  for (const [r, c, least, most, why] of cases) {
    assert.equal(leastRequestedScore(r, c), least, `least: ${why}`);
    assert.equal(mostRequestedScore(r, c), most, `most: ${why}`);
  }
});

test('RequestedToCapacityRatio shape interpolates', () => {
  const shape = [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }];
  assert.equal(shapeScore(shape, 500, 1000), 50); // 50% -> (0 + 10*50/100) * 10 = 50
  assert.equal(shapeScore(shape, 250, 1000), 25);
});

test('NodeResourcesFit score per strategy: weighted mean of cpu and memory', () => {
  const cases: Array<{ type: 'LeastAllocated' | 'MostAllocated'; want: number; why: string }> = [
    // node 4000m/8000Mi with 1000m/2000Mi used; pod asks 1000m/2000Mi -> 2000m (50%), 4000Mi (50%)
    { type: 'LeastAllocated', want: 50, why: 'cpu (4000-2000)*100/4000 = 50, mem (8000-4000)*100/8000 = 50, mean 50' },
    { type: 'MostAllocated', want: 50, why: 'cpu 2000*100/4000 = 50, mem 4000*100/8000 = 50' },
  ];
  for (const c of cases) {
    const p = new NodeResourcesFit({ scoringStrategy: { type: c.type } });
    assert.equal(p.score(new CycleState(), podInfo({ id: 'x', requests: { cpu: 1000, memory: 2000 * Mi } }), node(4000, 8000, [[1000, 2000]])), c.want, c.why);
  }
  // Weights: cpu 3, memory 1. cpu 2000/4000 least = 50; mem 1000/8000 least = 87 (87.5 floored)
  // (50*3 + 87*1) / 4 = 237/4 = 59.25 -> 59
  const w = new NodeResourcesFit({ scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }] } });
  assert.equal(w.score(new CycleState(), podInfo({ id: 'x', requests: { cpu: 1000, memory: 500 * Mi } }), node(4000, 8000, [[1000, 500]])), 59);
});

test('a workload with no requests is scored as 100m CPU and 200Mi memory', () => {
  const p = new NodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } });
  // cpu 100*100/1000 = 10; memory 200*100/1000 = 20; mean 15
  assert.equal(p.score(new CycleState(), podInfo({ id: 'x' }), node(1000, 1000)), 15);
});

test('an unknown strategy fails at construction', () => {
  // Plugin arguments come from config.json, so a wrong strategy arrives as untyped JSON.
  const args = JSON.parse('{"scoringStrategy": {"type": "Random"}}') as FitArgs;
  assert.throws(() => new NodeResourcesFit(args), /unknown scoring strategy Random/);
});

test('filter: the first short dimension is reported with amounts', () => {
  const f = new NodeResourcesFit();
  const s = new CycleState();
  // 1024Mi node, 724Mi used -> 300Mi free; the workload needs 512Mi
  const st = f.filter(s, podInfo({ id: 'x', requests: { memory: 512 * Mi } }), node(4000, 1024, [[0, 724]]));
  assert.equal(st?.reason, 'Insufficient memory');
  assert.equal(st?.detail, 'needs 512Mi memory, node has 300Mi allocatable free');
  // cpu: 4000m - 3500m = 500m free, needs 600m
  assert.equal(f.filter(s, podInfo({ id: 'y', requests: { cpu: 600 } }), node(4000, 1024, [[3500, 0]]))?.detail, 'needs 600m CPU, node has 500m allocatable free');
  assert.equal(f.filter(s, podInfo({ id: 'z', requests: { cpu: 500, memory: 300 * Mi } }), node(4000, 1024, [[3500, 724]])), null, 'exact fit passes');
});

test('limits stand in for missing requests when filtering', () => {
  const f = new NodeResourcesFit();
  // limit 2Gi, no request -> request 2Gi (Kubernetes defaulting) > 1Gi free
  assert.equal(f.filter(new CycleState(), podInfo({ id: 'x', limits: { memory: 2048 * Mi } }), node(1000, 1024))?.reason, 'Insufficient memory');
});
