// Placement of one replica across cluster nodes, as a pure function of the nodes as the store
// has them. The profile's filters (taints and tolerations, node selector, resource fit) decide
// feasibility; a cordoned node carries Kubernetes' unschedulable taint and a NotReady node is
// left out. Among the feasible nodes of the first tier that has any (hybrid cloud: `prefer`
// nodes, by default llmos.io/cloud=private; then `burst` nodes, by default all others) the
// choice is: fewest replicas of the same service on the node, then in its zone, then the
// profile's score, then the name (so equal clusters place alike).
import { cloudLabel, zoneLabel } from '../../contracts/cluster.js';
import { matchesSelector as matches } from '../../contracts/placement.js';
import type { PlacementDecision, PlacementNode, PlacementPreference, PlacementRequest } from '../../contracts/scheduler.js';
import { CycleState, type Framework } from './framework.js';
import { Cluster, podInfo, type NodeInfo } from './node-info.js';
import { LabelZone } from './types.js';

export const defaultPreference: Required<PlacementPreference> = { prefer: { [cloudLabel]: 'private' }, burst: {} };
export const UnschedulableTaint = 'node.kubernetes.io/unschedulable';


/** The scheduler's cluster for these nodes: allocatable as capacity, what is allocated as one phantom workload per node. */
function clusterOf(nodes: readonly PlacementNode[]): Cluster {
  const c = new Cluster();
  for (const n of nodes) {
    const taints = [...n.taints, ...(n.unschedulable ? [{ key: UnschedulableTaint, effect: 'NoSchedule' as const }] : [])];
    c.addNode({ name: n.name, capacity: { cpu: n.allocatable.cpu, memory: n.allocatable.memory, pids: 1 << 30 }, labels: { ...n.labels, [LabelZone]: n.labels[zoneLabel] ?? '' }, taints, images: Object.fromEntries((n.images ?? []).map((i) => [i, 1])) });
    if (n.allocated.cpu || n.allocated.memory) c.assume(podInfo({ id: `allocated/${n.name}`, requests: { cpu: n.allocated.cpu, memory: n.allocated.memory } }), n.name);
  }
  return c;
}

export function placeAcross(fw: Framework, nodes: readonly PlacementNode[], req: PlacementRequest): PlacementDecision {
  const ready = nodes.filter((n) => n.ready);
  const notReady = nodes.length - ready.length;
  if (!ready.length) return { message: nodes.length ? `0/${nodes.length} nodes are available: ${notReady} not ready` : 'no nodes are available' };
  const pref = { ...defaultPreference, ...req.preference };
  const cluster = clusterOf(ready);
  const pod = podInfo({ id: req.id, requests: req.requests, limits: req.limits, nodeSelector: req.nodeSelector, nodeAffinity: req.nodeAffinity, tolerations: req.tolerations, image: req.image });
  const state = new CycleState();
  const pre = fw.runPreFilter(state, pod, cluster);
  const reasons = new Map<string, number>();
  if (notReady) reasons.set('not ready', notReady);
  if (pre.status) return { message: `0/${nodes.length} nodes are available: ${pre.status.detail ?? pre.status.reason}` };
  const feasible: NodeInfo[] = [];
  for (const n of pre.nodes ?? cluster.nodes) {
    const s = fw.runFilters(state, pod, n);
    if (!s) feasible.push(n);
    else reasons.set(s.detail ?? s.reason, (reasons.get(s.detail ?? s.reason) ?? 0) + 1);
  }
  const preferred = feasible.filter((n) => matches(n.labels, pref.prefer));
  const burst = feasible.filter((n) => !preferred.includes(n) && matches(n.labels, pref.burst));
  const [tier, pool] = preferred.length ? (['prefer', preferred] as const) : (['burst', burst] as const);
  if (!pool.length) {
    const outside = feasible.length - preferred.length - burst.length;
    if (outside) reasons.set(`match neither prefer ${selectorText(pref.prefer)} nor burst ${selectorText(pref.burst)}`, outside);
    const why = [...reasons].map(([r, k]) => `${k} ${r}`).join(', ');
    return { message: `0/${nodes.length} nodes are available: ${why}` };
  }
  const scores = fw.runScores(state, pod, pool, cluster);
  const zonePeers = new Map<string, number>();
  for (const n of ready) zonePeers.set(n.labels[zoneLabel] ?? '', (zonePeers.get(n.labels[zoneLabel] ?? '') ?? 0) + (req.peers[n.name] ?? 0));
  const rank = pool.map((n, i) => ({ n, peers: req.peers[n.name] ?? 0, zone: zonePeers.get(n.zone) ?? 0, score: scores[i]! }));
  rank.sort((a, b) => a.peers - b.peers || a.zone - b.zone || b.score - a.score || a.n.name.localeCompare(b.n.name));
  return { node: rank[0]!.n.name, message: '', tier };
}

/**
 * Which replica to remove first when scaling down (higher first): replicas on nodes that are gone,
 * then on nodes matching neither side (labels changed since), then on burst (public) nodes; within
 * each, on nodes being drained or cordoned first, then on the nodes holding the most replicas.
 *   rank = tier * 2000 + (cordoned ? 1000 : 0) + peersOnNode, tier: prefer 0, burst 1, neither 2, gone 3
 */
export function evictionRank(node: PlacementNode | undefined, peersOnNode: number, preference: PlacementPreference = {}): number {
  const pref = { ...defaultPreference, ...preference };
  const peers = Math.min(peersOnNode, 999);
  if (!node) return 3 * 2000 + peers;
  const tier = matches(node.labels, pref.prefer) ? 0 : matches(node.labels, pref.burst) ? 1 : 2;
  return tier * 2000 + (node.unschedulable ? 1000 : 0) + peers;
}

const selectorText = (sel: Record<string, string>): string => Object.entries(sel).map(([k, v]) => `${k}=${v}`).join('+') || '(any)';

/** The cloud label of a node, for messages. */
export const cloudOf = (n: PlacementNode): string => n.labels[cloudLabel] ?? '';
