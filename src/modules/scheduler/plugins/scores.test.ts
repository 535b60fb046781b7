import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../framework.js';
import { Cluster, podInfo } from '../node-info.js';
import { BalancedAllocation, balancedScore } from './balanced-allocation.js';
import { ImageLocality, MaxContainerThreshold, MinThreshold, imageLocalityScore } from './image-locality.js';
import { TaintToleration } from './taint-toleration.js';
import { TopologySpread } from './topology-spread.js';

const Mi = 2 ** 20;
const cap = { cpu: 4000, memory: 8000 * Mi, pids: 1000 };

test('balancedScore: (1 - |f1 - f2| / 2) * 100', () => {
  const cases: Array<[number, number, number, string]> = [
    [0.5, 0.5, 100, 'equal fractions, std 0'],
    [0.25, 0.75, 75, '|0.25-0.75|/2 = 0.25 -> 75'],
    [0, 1, 50, '|0-1|/2 = 0.5 -> 50'],
    [1.5, 0.5, 75, 'cpu capped at 1: |1-0.5|/2 = 0.25 -> 75'],
  ];
  for (const [a, b, want, why] of cases) assert.equal(balancedScore(a, b), want, why);
  const c = new Cluster([{ name: 'n', capacity: cap }]);
  // pod 1000m/6000Mi on an empty 4000m/8000Mi node: 0.25 vs 0.75 -> 75
  assert.equal(new BalancedAllocation().score(new CycleState(), podInfo({ id: 'p', requests: { cpu: 1000, memory: 6000 * Mi } }), c.node('n')), 75);
});

test('imageLocalityScore scales size by spread and clamps to the thresholds', () => {
  const cases: Array<[number, number, number, number, string]> = [
    [500 * Mi, 1, 1, Math.floor((100 * (500 * Mi - MinThreshold)) / (MaxContainerThreshold - MinThreshold)), '(500-23)*100/(1000-23) = 48.8 -> 48'],
    [500 * Mi, 1, 2, 23, '500*1/2 = 250Mi: (250-23)*100/977 = 23.2 -> 23'],
    [10 * Mi, 1, 1, 0, 'below 23Mi: 0'],
    [4000 * Mi, 1, 1, 100, 'above 1000Mi: 100'],
    [0, 1, 1, 0, 'absent'],
  ];
  for (const [size, have, total, want, why] of cases) assert.equal(imageLocalityScore(size, have, total), want, why);
  assert.equal(imageLocalityScore(500 * Mi, 1, 1), 48);
});

test('ImageLocality prefers the node holding the image', () => {
  const c = new Cluster([
    { name: 'a', capacity: cap, images: { 'web:1': 500 * Mi } },
    { name: 'b', capacity: cap },
  ]);
  const p = new ImageLocality();
  const pod = podInfo({ id: 'p', image: 'web:1' });
  const st = new CycleState();
  p.preScore(st, pod, c.nodes, c);
  assert.equal(p.score(st, pod, c.node('a')), 23); // spread 1/2 -> 250Mi -> 23
  assert.equal(p.score(st, pod, c.node('b')), 0);
});

test('TopologySpread favours the zone with fewer workloads of the same key', () => {
  const c = new Cluster([
    { name: 'a1', capacity: cap, labels: { zone: 'a' } },
    { name: 'a2', capacity: cap, labels: { zone: 'a' } },
    { name: 'b1', capacity: cap, labels: { zone: 'b' } },
    { name: 'x', capacity: cap },
  ]);
  c.assume(podInfo({ id: 'w1', spreadKey: 'service/web' }), 'a1');
  c.assume(podInfo({ id: 'w2', spreadKey: 'service/web' }), 'a2');
  c.assume(podInfo({ id: 'w3', spreadKey: 'service/web' }), 'b1');
  c.assume(podInfo({ id: 'o1', spreadKey: 'service/other' }), 'b1');
  const p = new TopologySpread();
  const pod = podInfo({ id: 'w4', spreadKey: 'service/web' });
  const st = new CycleState();
  p.preScore(st, pod, c.nodes, c);
  const scores = Float64Array.from(c.nodes, (n) => p.score(st, pod, n));
  assert.deepEqual([...scores], [2, 2, 1, 0]); // zone a holds 2, zone b 1, x has no zone
  p.normalizeScore(st, pod, c.nodes, scores);
  // max 2, min 1: a -> 100*(2+1-2)/2 = 50; b -> 100*(2+1-1)/2 = 100; no zone -> 0
  assert.deepEqual([...scores], [50, 50, 100, 0]);
  c.forget('w1');
  c.forget('w2');
  assert.equal(c.spread.get('service/web')?.get('a'), undefined, 'counts drop with forget');
});

test('TaintToleration score reverses the count of untolerated PreferNoSchedule taints', () => {
  const c = new Cluster([
    { name: 'clean', capacity: cap },
    { name: 'one', capacity: cap, taints: [{ key: 'a', effect: 'PreferNoSchedule' }] },
    { name: 'two', capacity: cap, taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }] },
  ]);
  const p = new TaintToleration();
  const pod = podInfo({ id: 'p' });
  const scores = Float64Array.from(c.nodes, (n) => p.score(new CycleState(), pod, n));
  p.normalizeScore(new CycleState(), pod, c.nodes, scores);
  // max 2: 100 - 0*100/2 = 100; 100 - 1*100/2 = 50; 100 - 2*100/2 = 0
  assert.deepEqual([...scores], [100, 50, 0]);
});
