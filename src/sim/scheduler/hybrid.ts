// Hybrid-cloud placement replayed on a pod trace (`llmos sim hybrid`): N private and M public
// simulated nodes; each pod of the trace is a replica that arrives and leaves at the trace's times,
// placed by the daemon's own pure code (placeAcross: prefer nodes while one fits, then burst ones)
// and, on a departure, the replica removed is the one the daemon would remove on a scale-down
// (evictionRank: burst nodes first). Pods of one shape (QoS, CPU, memory) form one "service", so
// the spread by service and the scale-down choice act as they do in the daemon. With `moveBack`,
// a departure from a preferred node lets burst replicas move back as the services controller does.
// Reports the public share of replicas and of requested CPU over time, its peak and its mean.
import type { ServicePlacement } from '../../contracts/placement.js';
import type { PlacementNode } from '../../contracts/scheduler.js';
import { cloudLabel, zoneLabel } from '../../contracts/cluster.js';
import { evictionRank, placeAcross } from '../../modules/scheduler/cluster-placement.js';
import { buildFramework, profileConfig } from '../../modules/scheduler/profile.js';
import type { TracePod } from './trace.js';
import { podEvents } from './simulate.js';

export interface HybridOptions {
  privateNodes: number;
  publicNodes: number;
  /** Millicores per node. */
  nodeCpu: number;
  /** Bytes per node. */
  nodeMemory: number;
  /** Default: prefer llmos.io/cloud=private, burst llmos.io/cloud=public (the nodes carry those labels). */
  placement?: ServicePlacement;
  /** Scheduler profile for the score among a tier's nodes (default, binpack, balanced). */
  profile?: string;
  /** Move burst replicas back when a preferred node frees room (at most this many tries per departure; 0: off). */
  moveBack?: number;
  /** Points in the time series (default 48). */
  buckets?: number;
}

export interface HybridSample {
  /** Seconds from the trace start (the bucket's end); the counts are the state then, the percentages the bucket's mean. */
  t: number;
  replicas: number;
  publicReplicas: number;
  /** Time-weighted mean over the bucket, %. */
  publicReplicaPct: number;
  publicCpuPct: number;
}

export interface HybridResult {
  pods: number;
  placed: number;
  /** Pods no node could take (neither tier had room), with the first reason. */
  rejected: number;
  rejectReasons: Record<string, number>;
  /** Replicas placed on a burst (public) node at arrival. */
  burstPlacements: number;
  /** Replicas moved from a burst node back to a preferred one. */
  movedBack: number;
  /** Departures that removed a replica on a burst node instead of the pod the trace names (scale-down from public first). */
  scaleDownFromBurst: number;
  peak: { publicReplicas: number; publicReplicaPct: number; publicCpuPct: number; atSeconds: number };
  /** Time-weighted over the whole replay, %. */
  mean: { publicReplicaPct: number; publicCpuPct: number };
  /** Public node-seconds in use (a node with at least one replica), as a cost figure. */
  publicNodeHours: number;
  series: HybridSample[];
}

interface Replica { id: number; service: string; node: number; cpu: number; memory: number; arrival: number }

export function simulateHybrid(pods: readonly TracePod[], o: HybridOptions): HybridResult {
  const fw = buildFramework(profileConfig(o.profile ?? 'default'));
  const pref = o.placement ?? { prefer: { [cloudLabel]: 'private' }, burst: { [cloudLabel]: 'public' } };
  const nodes: PlacementNode[] = [
    ...Array.from({ length: o.privateNodes }, (_, i) => ({ name: `private-${i}`, cloud: 'private', zone: `private-z${i % 2}` })),
    ...Array.from({ length: o.publicNodes }, (_, i) => ({ name: `public-${i}`, cloud: 'public', zone: `public-z${i % 2}` })),
  ].map((n) => ({ name: n.name, labels: { [cloudLabel]: n.cloud, [zoneLabel]: n.zone }, taints: [], unschedulable: false, ready: true, allocatable: { cpu: o.nodeCpu, memory: o.nodeMemory }, allocated: { cpu: 0, memory: 0 } }));
  const index = new Map(nodes.map((n, i) => [n.name, i]));
  const isPublic = nodes.map((n) => n.labels[cloudLabel] === 'public');
  const isBurst = nodes.map((n) => evictionRank(n, 0, pref) >= 2000);
  const services = new Map<string, Set<Replica>>();
  const onNode = nodes.map(() => 0);
  const serviceOf = (p: TracePod) => `${p.qos}/${p.cpu}/${p.memory}`;

  const events = podEvents(pods);
  const start = events[0]?.t ?? 0;
  const end = events.at(-1)?.t ?? start;
  const placedPod = new Set<number>();

  let replicas = 0, pub = 0, pubCpu = 0, cpu = 0, pubNodesUsed = 0;
  const res: HybridResult = { pods: pods.length, placed: 0, rejected: 0, rejectReasons: {}, burstPlacements: 0, movedBack: 0, scaleDownFromBurst: 0, peak: { publicReplicas: 0, publicReplicaPct: 0, publicCpuPct: 0, atSeconds: 0 }, mean: { publicReplicaPct: 0, publicCpuPct: 0 }, publicNodeHours: 0, series: [] };
  const nb = Math.max(1, o.buckets ?? 48);
  const width = Math.max(1, (end - start) / nb);
  const acc = { rep: 0, pub: 0, pubPct: 0, cpuPct: 0, w: 0 };
  const total = { pubPct: 0, cpuPct: 0, w: 0 };
  let last = start;
  let bucketEnd = start + width;

  const sharePct = () => ({ rep: replicas ? (pub / replicas) * 100 : 0, cpu: cpu ? (pubCpu / cpu) * 100 : 0 });
  /** Accumulates the state held from `last` to `t` into the buckets. */
  const advance = (t: number) => {
    while (last < t) {
      const upto = Math.min(t, bucketEnd);
      const dt = upto - last;
      const s = sharePct();
      acc.pubPct += s.rep * dt; acc.cpuPct += s.cpu * dt; acc.w += dt;
      total.pubPct += s.rep * dt; total.cpuPct += s.cpu * dt; total.w += dt;
      res.publicNodeHours += (pubNodesUsed * dt) / 3600;
      last = upto;
      // A bucket closes once time moves past its end, so it shows the state after the events at its end.
      if (upto === bucketEnd && upto < t) flush();
    }
  };
  const flush = () => {
    res.series.push({ t: Math.round(bucketEnd - start), replicas, publicReplicas: pub, publicReplicaPct: r1(acc.w ? acc.pubPct / acc.w : sharePct().rep), publicCpuPct: r1(acc.w ? acc.cpuPct / acc.w : sharePct().cpu) });
    acc.pubPct = acc.cpuPct = acc.w = 0;
    bucketEnd += width;
  };
  const add = (r: Replica) => {
    const n = nodes[r.node]!;
    n.allocated = { cpu: n.allocated.cpu + r.cpu, memory: n.allocated.memory + r.memory };
    if (onNode[r.node]++ === 0 && isPublic[r.node]) pubNodesUsed++;
    replicas++; cpu += r.cpu;
    if (isPublic[r.node]) { pub++; pubCpu += r.cpu; }
    services.get(r.service)!.add(r);
  };
  const drop = (r: Replica) => {
    const n = nodes[r.node]!;
    n.allocated = { cpu: n.allocated.cpu - r.cpu, memory: n.allocated.memory - r.memory };
    if (--onNode[r.node] === 0 && isPublic[r.node]) pubNodesUsed--;
    replicas--; cpu -= r.cpu;
    if (isPublic[r.node]) { pub--; pubCpu -= r.cpu; }
    services.get(r.service)!.delete(r);
  };
  const peersOf = (svc: string) => {
    const peers: Record<string, number> = {};
    for (const r of services.get(svc) ?? []) peers[nodes[r.node]!.name] = (peers[nodes[r.node]!.name] ?? 0) + 1;
    return peers;
  };
  const place = (svc: string, id: number, req: { cpu: number; memory: number }) => placeAcross(fw, nodes, { id: `p${id}`, requests: req, peers: peersOf(svc), preference: pref });

  for (const e of events) {
    advance(e.t);
    const p = pods[e.i]!;
    const svc = serviceOf(p);
    if (!services.has(svc)) services.set(svc, new Set());
    if (e.kind === 1) {
      const d = place(svc, e.i, { cpu: p.cpu, memory: p.memory });
      if (!d.node) {
        res.rejected++;
        const why = (d.message.replace(/^0\/\d+ nodes are available: /, '').split(', ')[0] ?? d.message).replace(/^\d+ /, '');
        res.rejectReasons[why] = (res.rejectReasons[why] ?? 0) + 1;
        continue;
      }
      placedPod.add(e.i);
      res.placed++;
      if (d.tier === 'burst') res.burstPlacements++;
      add({ id: e.i, service: svc, node: index.get(d.node)!, cpu: p.cpu, memory: p.memory, arrival: e.t });
    } else {
      if (!placedPod.delete(e.i)) continue;
      // A service scaled down by one: the replica the daemon removes (highest evictionRank, then the youngest).
      const set = [...services.get(svc)!];
      const per = new Map<number, number>();
      for (const r of set) per.set(r.node, (per.get(r.node) ?? 0) + 1);
      const victim = set.sort((a, b) => evictionRank(nodes[b.node], per.get(b.node)!, pref) - evictionRank(nodes[a.node], per.get(a.node)!, pref) || b.arrival - a.arrival || b.id - a.id)[0];
      if (!victim) continue;
      if (victim.id !== e.i && isBurst[victim.node]) res.scaleDownFromBurst++;
      drop(victim);
      if (o.moveBack && !isBurst[victim.node]) moveBack(o.moveBack);
    }
    const s = sharePct();
    if (s.rep > res.peak.publicReplicaPct || (s.rep === res.peak.publicReplicaPct && pub > res.peak.publicReplicas)) res.peak = { publicReplicas: pub, publicReplicaPct: r1(s.rep), publicCpuPct: r1(s.cpu), atSeconds: Math.round(e.t - start) };
  }
  advance(end);
  if (res.series.length < nb) flush();
  res.mean = { publicReplicaPct: r1(total.w ? total.pubPct / total.w : 0), publicCpuPct: r1(total.w ? total.cpuPct / total.w : 0) };
  res.publicNodeHours = r1(res.publicNodeHours);
  return res;

  /** Up to `tries` burst replicas (largest first) re-placed; one moves when placement now picks a preferred node. */
  function moveBack(tries: number) {
    const burst: Replica[] = [];
    for (const set of services.values()) for (const r of set) if (isBurst[r.node]) burst.push(r);
    burst.sort((a, b) => b.cpu - a.cpu || b.memory - a.memory || b.arrival - a.arrival);
    for (const r of burst.slice(0, tries)) {
      const d = place(r.service, r.id, { cpu: r.cpu, memory: r.memory });
      if (d.tier !== 'prefer' || !d.node) continue;
      drop(r);
      add({ ...r, node: index.get(d.node)! });
      res.movedBack++;
    }
  }
}

const r1 = (x: number) => Math.round(x * 10) / 10;
