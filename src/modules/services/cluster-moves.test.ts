import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlacementDecision } from '../../contracts/scheduler.js';
import type { ServiceRecord } from '../../contracts/services.js';
import { moveCandidate, requestsOf, type MoveInput } from './cluster-moves.js';
import type { ReplicaView } from './plan.js';

const rec = (o: Partial<ServiceRecord> = {}): ServiceRecord => ({ name: 'web', namespace: 'default', labels: {}, spec: { replicas: 3, template: { image: 'busybox', env: {}, labels: {} }, ports: [], progressDeadlineSeconds: 60 }, templateHash: 'h', generation: 1, createdAt: '', updatedAt: '', source: 'cli', ...o });
const view = (id: string, o: Partial<ReplicaView> = {}): ReplicaView => ({ id, name: id, hash: 'h', state: 'running', ready: true, livenessFailed: false, readinessFailedOut: false, createdAt: 1000, ...o });
const prefer: PlacementDecision = { node: 'p1', message: '', tier: 'prefer' };
const burst: PlacementDecision = { node: 'pub', message: '', tier: 'burst' };

/** p1, p2 on private nodes (rank 1), x on the public node (rank 2001). */
function input(o: Partial<MoveInput> = {}): MoveInput {
  return {
    rec: rec(),
    views: [view('p1'), view('p2'), view('x')],
    infos: [{ node: 'priv1' }, { node: 'priv2' }, { node: 'pub' }],
    peers: { priv1: 1, priv2: 1, pub: 1 },
    ranks: new Map([['p1', 1], ['p2', 1], ['x', 2001]]),
    draining: [],
    place: () => prefer,
    ...o,
  };
}

test('moveCandidate: the burst replica moves when a preferred node has room for one more', () => {
  assert.equal(moveCandidate(input()), 'x');
});

test('moveCandidate: no move while the preferred nodes are full, or none is off them', () => {
  assert.equal(moveCandidate(input({ place: () => burst })), undefined);
  assert.equal(moveCandidate(input({ place: () => ({ message: 'full' }) })), undefined);
  assert.equal(moveCandidate(input({ ranks: new Map([['p1', 1], ['p2', 1], ['x', 1001]]) })), undefined, 'cordoned private is not off-preferred');
});

test('moveCandidate: only a settled service moves (no rollout, no scale in progress, all ready, no drain)', () => {
  assert.equal(moveCandidate(input({ rec: rec({ rollout: { phase: 'progressing', toHash: 'h', startedAt: '' } }) })), undefined);
  assert.equal(moveCandidate(input({ rec: rec({ spec: { ...rec().spec, replicas: 4 } }) })), undefined);
  assert.equal(moveCandidate(input({ views: [view('p1'), view('p2'), view('x', { ready: false })] })), undefined);
  assert.equal(moveCandidate(input({ views: [view('p1', { hash: 'old' }), view('p2'), view('x')] })), undefined);
  assert.equal(moveCandidate(input({ draining: ['priv2'] })), undefined);
});

test('moveCandidate: the highest rank goes first, then the youngest', () => {
  const views = [view('p1'), view('x', { createdAt: 5 }), view('y', { createdAt: 9 })];
  const ranks = new Map([['p1', 1], ['x', 2002], ['y', 2002]]);
  assert.equal(moveCandidate(input({ views, ranks })), 'y');
  assert.equal(moveCandidate(input({ views, ranks: new Map([['p1', 1], ['x', 4001], ['y', 2002]]) })), 'x');
});

test('requestsOf: requests before limits; cores to millicores', () => {
  assert.deepEqual(requestsOf({ cpus: 0.5, memory: 64 }), { cpu: 500, memory: 64 });
  assert.deepEqual(requestsOf({ cpus: 2, memory: 64, requests: { cpu: 0.25, memory: 32 } }), { cpu: 250, memory: 32 });
  assert.deepEqual(requestsOf({}), { cpu: 0, memory: 0 });
});
