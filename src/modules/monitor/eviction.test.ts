import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideEviction, rankForEviction, type EvictionCandidate } from './eviction.js';

const Mi = 2 ** 20;
const c = (id: string, qos: EvictionCandidate['qos'], req: number, use: number, priority = 0): EvictionCandidate => ({ id, namespace: 'default', qos, priority, memoryRequest: req * Mi, memoryUsage: use * Mi });

test('QoS order: BestEffort, then Burstable over request, then the rest', () => {
  const cs = [
    c('guaranteed', 'Guaranteed', 100, 100),
    c('burst-under', 'Burstable', 100, 50),
    c('burst-over-small', 'Burstable', 100, 120), // 20Mi over
    c('burst-over-big', 'Burstable', 100, 300), // 200Mi over
    c('best-effort', 'BestEffort', 0, 10),
  ];
  assert.deepEqual(rankForEviction(cs).map((x) => x.id), ['best-effort', 'burst-over-big', 'burst-over-small', 'burst-under', 'guaranteed']);
});

test('within a group: lower priority first, then furthest over request', () => {
  const cs = [c('be-hi', 'BestEffort', 0, 500, 10), c('be-lo-small', 'BestEffort', 0, 10, 0), c('be-lo-big', 'BestEffort', 0, 400, 0)];
  assert.deepEqual(rankForEviction(cs).map((x) => x.id), ['be-lo-big', 'be-lo-small', 'be-hi']);
});

test('decideEviction acts only under pressure and explains', () => {
  const cs = [c('g', 'Guaranteed', 100, 100), c('b', 'Burstable', 64, 192)];
  // 80Mi available < 100Mi threshold
  const d = decideEviction({ available: 80 * Mi, threshold: 100 * Mi }, cs);
  assert.equal(d.evict?.id, 'b');
  assert.equal(d.reason, 'memory pressure (memory available 80Mi, threshold 100Mi): evicting b (Burstable, 128Mi over its 64Mi request, priority 0, using 192Mi)');
  assert.equal(decideEviction({ available: 200 * Mi, threshold: 100 * Mi }, cs).evict, undefined);
  assert.match(decideEviction({ available: 1, threshold: 100 * Mi }, []).reason, /no workload to evict/);
});
