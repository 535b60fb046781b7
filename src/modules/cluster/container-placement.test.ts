import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeView } from '../../contracts/cluster.js';
import { ContainerPlacer, containerRequests, placementNodeOf } from './container-placement.js';
import { matchesNodeAffinity, matchesSelector } from '../../contracts/placement.js';
import type { PlacementNode, PlacementRequest, SchedulerApi } from '../../contracts/scheduler.js';

const Gi = 2 ** 30;
// A small fake of the scheduler's placeAcross (its own tests cover the real one): the first
// ready, uncordoned node that matches and has the memory free.
const seen: PlacementRequest[] = [];
const fakePlace = (nodes: readonly PlacementNode[], req: PlacementRequest) => {
  seen.push(req);
  const n = nodes.find((x) => x.ready && !x.unschedulable && matchesSelector(x.labels, req.nodeSelector ?? {}) && (!req.nodeAffinity || matchesNodeAffinity(x.labels, req.nodeAffinity.required))
    && x.allocatable.memory - x.allocated.memory >= (req.requests?.memory ?? 0));
  return n ? { node: n.name, message: '' } : { message: `0/${nodes.length} nodes are available` };
};
const sched = { placeAcross: fakePlace } as Pick<SchedulerApi, 'placeAcross'> as SchedulerApi;
const beat = '2026-01-01T00:00:00.000Z';
const view = (name: string, o: Partial<NodeView> = {}): NodeView => ({
  name, status: 'Ready', unschedulable: false, roles: ['worker'], labels: { 'llmos.io/cloud': 'private', 'llmos.io/zone': 'default', ...o.labels }, taints: [], zone: 'default', cloud: 'private',
  address: '10.0.0.1', podSubnet: '', capacity: { cpu: 2000, memory: 4 * Gi }, allocatable: { cpu: 2000, memory: 4 * Gi }, allocated: { cpu: 0, memory: 0 }, runtimes: ['runc'], images: [],
  workloads: 0, agentVersion: '1', createdAt: beat, lastHeartbeat: beat, heartbeatAgeSeconds: 0, connected: true, ...o,
});

test('containerRequests: requests, else limits; CPU in millicores (0.5 core = 500m)', () => {
  assert.deepEqual(containerRequests({ image: 'x', cpus: 0.5, memory: 64 }), { cpu: 500, memory: 64 });
  assert.deepEqual(containerRequests({ image: 'x', cpus: 2, requests: { cpu: 0.25, memory: 8 } }), { cpu: 250, memory: 8 });
});

test('placementNodeOf: Ready only when connected and running runc; placements since the last heartbeat add to allocated', () => {
  assert.equal(placementNodeOf(view('a', { connected: false }), []).ready, false);
  assert.equal(placementNodeOf(view('a', { runtimes: ['isolate'] }), []).ready, false);
  assert.equal(placementNodeOf(view('a', { status: 'NotReady' }), []).ready, false);
  const at = Date.parse(beat);
  // One placement before the heartbeat (in the report already), one after (not yet): only the later counts.
  assert.deepEqual(placementNodeOf(view('a', { allocated: { cpu: 100, memory: 1 } }), [{ cpu: 7, memory: 7, at: at - 1 }, { cpu: 50, memory: 2, at: at + 1 }]).allocated, { cpu: 150, memory: 3 });
});

test('no node joined: undefined (run here); otherwise the scheduler gets the selector and affinity', () => {
  const p = new ContainerPlacer(() => Date.parse(beat) + 1000);
  assert.equal(p.place(sched, [], { spec: { image: 'x' } }), undefined);
  const nodes = [view('h1', { unschedulable: true }), view('h2', { labels: { disk: 'ssd' } }), view('h3', { labels: { tier: 'edge' } })];
  assert.equal(p.place(sched, nodes, { spec: { image: 'x' }, nodeSelector: { disk: 'ssd' } }), 'h2');
  assert.equal(p.place(sched, nodes, { spec: { image: 'x' }, nodeAffinity: { required: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['edge'] }] }] } }), 'h3');
  assert.throws(() => p.place(sched, nodes, { spec: { image: 'x', name: 'c1' }, nodeSelector: { disk: 'nvme' } }), /no node for container c1: 0\/3 nodes are available/);
  assert.deepEqual(seen.at(-1)?.nodeSelector, { disk: 'nvme' });
  assert.throws(() => p.place(undefined, nodes, { spec: { image: 'x' } }), /scheduler module is not loaded/);
});

test('capacity: placements between two heartbeats count until a newer report carries them', () => {
  const p = new ContainerPlacer(() => Date.parse(beat) + 1000);
  const nodes = [view('h1'), view('h2')];
  const spec = { image: 'x', memory: 3 * Gi };
  // 3 GiB each on 4 GiB nodes: one per node, then nothing fits (the reports have not changed yet).
  const first = p.place(sched, nodes, { spec });
  const second = p.place(sched, nodes, { spec });
  assert.notEqual(first, second);
  assert.throws(() => p.place(sched, nodes, { spec }), /0\/2 nodes are available/);
  // A newer heartbeat: its report carries them; the pending ones are dropped, not counted twice.
  const later = new Date(Date.parse(beat) + 2000).toISOString();
  const reported = nodes.map((n) => ({ ...n, lastHeartbeat: later, allocated: { cpu: 0, memory: 3 * Gi } }));
  assert.throws(() => p.place(sched, reported, { spec }), /0\/2 nodes are available/);
  const freed = nodes.map((n) => ({ ...n, lastHeartbeat: later }));
  assert.ok(p.place(sched, freed, { spec }));
});
