import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlacementNode, PlacementRequest } from '../../contracts/scheduler.js';
import { evictionRank, placeAcross } from './cluster-placement.js';
import { buildFramework, profileConfig } from './profile.js';

const Gi = 2 ** 30;
const fw = buildFramework(profileConfig('default'));
const node = (name: string, o: Partial<PlacementNode> = {}): PlacementNode => ({
  name,
  labels: { 'llmos.io/cloud': 'private', 'llmos.io/zone': `z-${name}`, ...o.labels },
  taints: [],
  unschedulable: false,
  ready: true,
  allocatable: { cpu: 2000, memory: 8 * Gi },
  allocated: { cpu: 0, memory: 0 },
  ...o,
});
const ask = (peers: Record<string, number> = {}, o: Partial<PlacementRequest> = {}): PlacementRequest => ({ id: 'web-1', peers, ...o });

/** Places n replicas one after another, as the services controller does (peers and allocations grow). */
function placeMany(nodes: PlacementNode[], n: number, o: Partial<PlacementRequest> = {}): Record<string, number> {
  const peers: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const d = placeAcross(fw, nodes, ask(peers, o));
    if (!d.node) throw new Error(d.message);
    peers[d.node] = (peers[d.node] ?? 0) + 1;
    const at = nodes.findIndex((x) => x.name === d.node);
    const mem = o.requests?.memory ?? 0;
    nodes[at] = { ...nodes[at]!, allocated: { cpu: nodes[at]!.allocated.cpu, memory: nodes[at]!.allocated.memory + mem } };
  }
  return peers;
}

test('6 replicas on 3 equal nodes spread 2-2-2 (fewest peers on the node first, then in the zone)', () => {
  assert.deepEqual(placeMany([node('h1'), node('h2'), node('h3')], 6), { h1: 2, h2: 2, h3: 2 });
});

test('zone spread: with two nodes in zone a and one in zone b, the 2nd replica goes to zone b', () => {
  const nodes = [node('a1', { labels: { 'llmos.io/zone': 'a' } }), node('a2', { labels: { 'llmos.io/zone': 'a' } }), node('b1', { labels: { 'llmos.io/zone': 'b' } })];
  // 1st: all empty -> a1 (name order); 2nd: a2 and b1 have 0 peers, zone a has 1, zone b 0 -> b1.
  assert.equal(placeAcross(fw, nodes, ask({ a1: 1 })).node, 'b1');
});

test('cordoned, NotReady, tainted and selector-mismatched nodes are left out, with the reasons', () => {
  const nodes = [
    node('cordoned', { unschedulable: true }),
    node('down', { ready: false }),
    node('tainted', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] }),
    node('ok'),
  ];
  assert.equal(placeAcross(fw, nodes, ask()).node, 'ok');
  const none = placeAcross(fw, nodes.slice(0, 3), ask());
  assert.equal(none.node, undefined);
  assert.match(none.message, /0\/3 nodes are available/);
  assert.match(none.message, /1 not ready/);
  // A toleration admits the tainted node.
  assert.equal(placeAcross(fw, nodes.slice(0, 3), ask({}, { tolerations: [{ key: 'gpu', operator: 'Exists' }] })).node, 'tainted');
  // A node selector narrows to the labelled node.
  assert.equal(placeAcross(fw, [node('a'), node('b', { labels: { disk: 'ssd' } })], ask({}, { nodeSelector: { disk: 'ssd' } })).node, 'b');
});

test('allocatable vs allocated: a node without room for the request is not chosen', () => {
  const nodes = [node('full', { allocated: { cpu: 0, memory: 7 * Gi } }), node('room')];
  assert.equal(placeAcross(fw, nodes, ask({}, { requests: { memory: 2 * Gi } })).node, 'room');
  const d = placeAcross(fw, [nodes[0]!], ask({}, { requests: { memory: 2 * Gi } }));
  assert.equal(d.node, undefined);
  assert.match(d.message, /memory/i);
});

test('hybrid: private nodes first; public only once the private ones cannot fit', () => {
  // 8 Gi nodes, 3 Gi requests: 2 per node. Private p1, p2 take 4; the 5th and 6th go to the public node.
  const nodes = [node('p1'), node('p2'), node('pub', { labels: { 'llmos.io/cloud': 'public' } })];
  const placed = placeMany(nodes, 4, { requests: { memory: 3 * Gi } });
  assert.deepEqual(placed, { p1: 2, p2: 2 });
  const d = placeAcross(fw, nodes, ask(placed, { requests: { memory: 3 * Gi } }));
  assert.deepEqual([d.node, d.tier], ['pub', 'burst']);
  // burst restricted to a label: without a match nothing is placed.
  const none = placeAcross(fw, nodes, ask(placed, { requests: { memory: 3 * Gi }, preference: { burst: { 'llmos.io/cloud': 'edge' } } }));
  assert.equal(none.node, undefined);
});

test('per-service placement: any label on both sides; never a node matching neither when burst is given', () => {
  // 8 Gi nodes, 3 Gi requests: 2 per node. prefer=rack=r1 (a1, a2), burst=rack=r2 (b1); c1 (rack r3) matches neither.
  const rack = (r: string) => ({ labels: { rack: r, 'llmos.io/cloud': 'private' } });
  const nodes = [node('a1', rack('r1')), node('a2', rack('r1')), node('b1', rack('r2')), node('c1', rack('r3'))];
  const preference = { prefer: { rack: 'r1' }, burst: { rack: 'r2' } };
  const o = { requests: { memory: 3 * Gi }, preference };
  const placed = placeMany(nodes, 6, o);
  assert.deepEqual(placed, { a1: 2, a2: 2, b1: 2 });
  const d = placeAcross(fw, nodes, ask(placed, o));
  assert.equal(d.node, undefined, 'c1 has room but matches neither side');
  assert.match(d.message, /0\/4 nodes are available: 3 needs 3Gi memory.*, 1 match neither prefer rack=r1 nor burst rack=r2/);
});

test('prefer=zone=a alone: zone a first (the short key matches llmos.io/zone), then any node', () => {
  const nodes = [node('b1', { labels: { 'llmos.io/zone': 'b' } }), node('a1', { labels: { 'llmos.io/zone': 'a' } }), node('pub', { labels: { 'llmos.io/cloud': 'public', 'llmos.io/zone': 'c' } })];
  const o = { requests: { memory: 5 * Gi }, preference: { prefer: { zone: 'a' } } };
  const first = placeAcross(fw, nodes, ask({}, o));
  assert.deepEqual([first.node, first.tier], ['a1', 'prefer']);
  // a1 full (5 of 8 Gi used): the burst tier is every other node, private or public; b1 has no peer of this service in its zone... both are equal, so name order.
  const second = placeAcross(fw, nodes.map((n) => (n.name === 'a1' ? { ...n, allocated: { cpu: 0, memory: 5 * Gi } } : n)), ask({ a1: 1 }, o));
  assert.deepEqual([second.node, second.tier], ['b1', 'burst']);
});

test('evictionRank: gone nodes, then off-placement, then burst before preferred; cordoned before schedulable; fuller first', () => {
  const priv = node('p');
  const pub = node('q', { labels: { 'llmos.io/cloud': 'public' } });
  const cordoned = node('c', { unschedulable: true });
  // rank = tier*2000 + cordoned*1000 + peers; tier: prefer 0, burst 1, neither 2, gone 3.
  assert.equal(evictionRank(pub, 1), 2001);
  assert.equal(evictionRank(cordoned, 1), 1001);
  assert.equal(evictionRank(priv, 3), 3);
  assert.equal(evictionRank(undefined, 1), 6001);
  assert.ok(evictionRank(pub, 1) > evictionRank(priv, 5));
  // With an explicit burst side, a node matching neither (relabelled since) goes before burst ones.
  const pref = { prefer: { 'llmos.io/cloud': 'public' }, burst: { rack: 'r2' } };
  assert.equal(evictionRank(pub, 1, pref), 1);
  assert.equal(evictionRank(node('r', { labels: { rack: 'r2' } }), 1, pref), 2001);
  assert.equal(evictionRank(priv, 1, pref), 4001);
  // peers are capped so they never cross into the next tier.
  assert.equal(evictionRank(priv, 5000), 999);
});

test('nodeAffinity: only nodes matching a term get the replica; none matching says why', () => {
  const nodes = [node('h1', { labels: { tier: 'cloud' } }), node('h2', { labels: { tier: 'edge' } }), node('h3')];
  const edge = { required: [{ matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['edge'] }] }] };
  assert.deepEqual(placeMany(nodes, 3, { nodeAffinity: edge }), { h2: 3 });
  const none = placeAcross(fw, nodes, ask({}, { nodeAffinity: { required: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['lab'] }] }] } }));
  assert.equal(none.node, undefined);
  assert.match(none.message, /0\/3 nodes are available: 3 node affinity tier In \(lab\)/);
});
