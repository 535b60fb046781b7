// Trace replay against a simulated node pool through the same framework the daemon runs:
// arrivals are scheduled (with preemption by priority), departures free their node. Reports per
// profile: placement latency, rejected pods, preemptions, and fragmentation.
import { Cluster, podInfo, type PodInfo } from '../../modules/scheduler/node-info.js';
import { buildFramework, profileConfig, profileNames } from '../../modules/scheduler/profile.js';
import { schedule } from '../../modules/scheduler/scheduler.js';
import type { TracePod } from './trace.js';

export interface PoolOptions {
  nodes: number;
  /** Millicores per node. */
  nodeCpu: number;
  /** Bytes per node. */
  nodeMemory: number;
  /** Zones the nodes are spread over (round robin). */
  zones?: number;
}

export interface SimOptions extends PoolOptions {
  profiles: string[];
  preempt?: boolean;
  /** Fragmentation is sampled every this many events. */
  sampleEvery?: number;
}

export interface ProfileResult {
  profile: string;
  pods: number;
  placed: number;
  rejected: number;
  rejectedPct: number;
  preempted: number;
  /** Rejections by reason (first reason of the cycle's diagnosis). */
  rejectReasons: Record<string, number>;
  latencyMicros: { p50: number; p99: number; max: number; mean: number };
  /**
   * Mean share of free CPU that an arriving pod, drawn from the trace's own mix of pod shapes,
   * could not use because its node lacks CPU or memory for it (after the fragmentation measure of
   * Weng et al., "Beware of Fragmentation", ATC 2023, applied to CPU), %.
   */
  fragmentationPct: number;
  /** Mean share of the pool's CPU requested, %. */
  cpuAllocatedPct: number;
  /** Mean number of nodes holding at least one pod. */
  meanNodesUsed: number;
}

/** Priority by the trace's QoS: latency-sensitive and guaranteed above burstable above best-effort. */
export const priorityOfQos: Record<string, number> = { LS: 100, Guaranteed: 100, Burstable: 50, BE: 0 };

/** The trace's requests; LS and Guaranteed pods get limits equal to requests (Guaranteed), the rest requests only. */
function requestOf(p: TracePod, id: string): PodInfo {
  const r = { cpu: p.cpu, memory: p.memory };
  const priority = priorityOfQos[p.qos] ?? 0;
  return podInfo({ id, requests: r, limits: p.qos === 'LS' || p.qos === 'Guaranteed' ? r : undefined, priority });
}

/** The most frequent pod shapes (CPU, memory) with their share of pods: the workload mix fragmentation is measured against. */
export function podShapes(pods: readonly TracePod[], max = 32): Array<{ cpu: number; memory: number; weight: number }> {
  const counts = new Map<string, { cpu: number; memory: number; n: number }>();
  for (const p of pods) {
    const k = `${p.cpu}/${p.memory}`;
    const e = counts.get(k);
    if (e) e.n++;
    else counts.set(k, { cpu: p.cpu, memory: p.memory, n: 1 });
  }
  const top = [...counts.values()].sort((a, b) => b.n - a.n).slice(0, max);
  const total = top.reduce((s, x) => s + x.n, 0);
  return top.map((x) => ({ cpu: x.cpu, memory: x.memory, weight: x.n / total }));
}

function percentile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** A trace's arrivals (kind 1) and departures (kind 0) of pod i, in time order; at equal times departures go first, so the capacity they free is usable. */
export function podEvents(pods: readonly TracePod[]): Array<{ t: number; kind: 0 | 1; i: number }> {
  const events: Array<{ t: number; kind: 0 | 1; i: number }> = [];
  pods.forEach((p, i) => {
    events.push({ t: p.arrival, kind: 1, i });
    if (Number.isFinite(p.departure)) events.push({ t: p.departure, kind: 0, i });
  });
  return events.sort((a, b) => a.t - b.t || a.kind - b.kind || a.i - b.i);
}

export function makePool(o: PoolOptions): Cluster {
  const zones = o.zones ?? 4;
  return new Cluster(Array.from({ length: o.nodes }, (_, i) => ({ name: `node-${i}`, capacity: { cpu: o.nodeCpu, memory: o.nodeMemory, pids: 1_000_000 }, labels: { zone: `zone-${i % zones}`, role: 'cloud' } })));
}

export function simulateProfile(pods: readonly TracePod[], profile: string, o: SimOptions): ProfileResult {
  const fw = buildFramework(profileConfig(profile));
  const cluster = makePool(o);
  const shapes = podShapes(pods);
  const events = podEvents(pods);

  const lat = new Float64Array(pods.length);
  let scheduled = 0;
  let placed = 0;
  let preempted = 0;
  const reasons: Record<string, number> = {};
  let start = 0;
  let fragSum = 0;
  let allocSum = 0;
  let usedSum = 0;
  let samples = 0;
  // Sample about 400 times per replay whatever the pool size, so big pools stay quick.
  const every = o.sampleEvery ?? Math.max(1, Math.floor(events.length / 400));
  const totalCpu = o.nodes * o.nodeCpu;

  events.forEach((e, n) => {
    const id = `p${e.i}`;
    if (e.kind === 0) cluster.forget(id);
    else {
      const pod = requestOf(pods[e.i]!, id);
      const t0 = performance.now();
      const r = schedule(fw, cluster, pod, { startIndex: start, preempt: o.preempt !== false });
      lat[scheduled++] = (performance.now() - t0) * 1000;
      start = r.nextStartIndex;
      if (r.node) {
        for (const v of r.victims) cluster.forget(v.id);
        preempted += r.victims.length;
        cluster.assume(pod, r.node);
        placed++;
      } else {
        const top = Object.entries(r.reasons).sort((a, b) => b[1] - a[1])[0]?.[0] ?? r.message;
        reasons[top] = (reasons[top] ?? 0) + 1;
      }
    }
    if (n % every === 0) {
      let free = 0;
      let stranded = 0;
      let used = 0;
      let alloc = 0;
      for (const node of cluster.nodes) {
        const f = node.free();
        const cpu = Math.max(0, f.cpu);
        free += cpu;
        alloc += node.requested.cpu;
        if (node.pods.size) used++;
        // Expected stranded CPU on this node: its free CPU, weighted by the share of pods that would not fit here.
        for (const sh of shapes) if (f.cpu < sh.cpu || f.memory < sh.memory) stranded += cpu * sh.weight;
      }
      fragSum += free > 0 ? stranded / free : 0;
      allocSum += alloc / totalCpu;
      usedSum += used;
      samples++;
    }
  });
  const sorted = lat.slice(0, scheduled).sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    profile,
    pods: pods.length,
    placed,
    rejected: pods.length - placed,
    rejectedPct: r1(((pods.length - placed) / Math.max(1, pods.length)) * 100),
    preempted,
    rejectReasons: reasons,
    latencyMicros: { p50: r1(percentile(sorted, 0.5)), p99: r1(percentile(sorted, 0.99)), max: r1(sorted.at(-1) ?? 0), mean: r1(sum / Math.max(1, sorted.length)) },
    fragmentationPct: r1((fragSum / Math.max(1, samples)) * 100),
    cpuAllocatedPct: r1((allocSum / Math.max(1, samples)) * 100),
    meanNodesUsed: r1(usedSum / Math.max(1, samples)),
  };
}

export function simulateScheduler(pods: readonly TracePod[], o: SimOptions): ProfileResult[] {
  const profiles = o.profiles.length === 1 && o.profiles[0] === 'all' ? profileNames : o.profiles;
  for (const p of profiles) profileConfig(p); // unknown names fail before any work
  return profiles.map((p) => simulateProfile(pods, p, o));
}
