// One scheduling cycle as a pure function over a cluster snapshot: pre-filter, filter a rotating
// sample of nodes until enough feasible ones are found (kube's percentageOfNodesToScore),
// score them, pick the best; when nothing fits, choose preemption victims. The Scheduler class
// around it applies decisions (assume, evict victims) and keeps the start index and quotas.
import { ResourceExhausted } from '../../kernel/errors.js';
import { CycleState, numFeasibleNodesToFind, type Framework, type Status } from './framework.js';
import { podInfo, type Cluster, type NodeInfo, type PodInfo } from './node-info.js';
import { QuotaBook } from './quota.js';
import type { QosClass, WorkloadRequest } from './types.js';

export interface ScheduleResult {
  /** Chosen node, or undefined when nothing fits even with preemption. */
  node?: string;
  score?: number;
  /** Lower-priority workloads to evict from `node` before placing this one. */
  victims: PodInfo[];
  /** Nodes filtered this cycle and how many passed. */
  evaluated: number;
  feasible: number;
  /** Where the next cycle should start filtering (rotates the sample across the cluster). */
  nextStartIndex: number;
  /** Failure counts by reason, over the nodes evaluated. */
  reasons: Record<string, number>;
  /** Why it does not fit, in one line (empty on success). */
  message: string;
}

export interface ScheduleOptions {
  startIndex?: number;
  /** Try preemption when nothing fits (default true). */
  preempt?: boolean;
}

export function schedule(fw: Framework, cluster: Cluster, pod: PodInfo, opts: ScheduleOptions = {}): ScheduleResult {
  const all = cluster.nodes.length;
  const startIndex = opts.startIndex ?? 0;
  const state = new CycleState();
  const none = (message: string, reasons: Record<string, number> = {}, evaluated = 0): ScheduleResult => ({ victims: [], evaluated, feasible: 0, nextStartIndex: startIndex, reasons, message });
  if (all === 0) return none('no nodes are available');

  const pre = fw.runPreFilter(state, pod, cluster);
  if (pre.status) {
    const { reason, detail } = pre.status;
    return none(all === 1 ? (detail ?? reason) : `0/${all} nodes are available: ${all} ${reason}${detail ? ` (${detail})` : ''}`, { [reason]: all });
  }
  // A pre-filter may narrow the search (a node selector to its label's nodes); nodes outside it cannot pass.
  const nodes = pre.nodes ?? cluster.nodes;
  const n = nodes.length;
  const start = startIndex % n;
  // The sample size follows the whole cluster's size, as kube-scheduler's does.
  const want = numFeasibleNodesToFind(all, fw.percentageOfNodesToScore);
  const feasible: NodeInfo[] = [];
  let i = 0;
  for (; i < n && feasible.length < want; i++) {
    const node = nodes[(start + i) % n]!;
    if (!fw.runFilters(state, pod, node)) feasible.push(node);
  }
  const nextStartIndex = pre.nodes ? startIndex : (start + i) % n;

  if (feasible.length) {
    const totals = fw.runScores(state, pod, feasible, cluster);
    let best = 0;
    for (let j = 1; j < feasible.length; j++) if (totals[j]! > totals[best]!) best = j;
    return { node: feasible[best]!.name, score: totals[best]!, victims: [], evaluated: i, feasible: feasible.length, nextStartIndex, reasons: {}, message: '' };
  }

  // Nothing fits (every node was filtered). The failure path filters again to keep the statuses:
  // the hot path above allocates nothing per failing node.
  const failed: Array<{ node: NodeInfo; status: Status }> = [];
  for (const node of nodes) {
    const s = fw.runFilters(state, pod, node);
    if (s) failed.push({ node, status: s });
  }
  const reasons: Record<string, number> = {};
  for (const f of failed) reasons[f.status.reason] = (reasons[f.status.reason] ?? 0) + 1;
  if (opts.preempt !== false) {
    const p = preempt(fw, state, pod, failed);
    if (p) return { node: p.node.name, victims: p.victims, evaluated: i, feasible: 0, nextStartIndex, reasons, message: '' };
  }
  return { victims: [], evaluated: i, feasible: 0, nextStartIndex, reasons, message: diagnose(all, failed) };
}

/** kube-style "0/3 nodes are available: 2 Insufficient memory, 1 node(s) didn't match node selector"; one node gets the full sentence. */
function diagnose(all: number, failed: Array<{ node: NodeInfo; status: Status }>): string {
  if (all === 1 && failed[0]) return failed[0].status.detail ?? failed[0].status.reason;
  const counts = new Map<string, number>();
  for (const f of failed) counts.set(f.status.reason, (counts.get(f.status.reason) ?? 0) + 1);
  // Nodes a pre-filter excluded failed its condition without being filtered one by one.
  const excluded = all - failed.length;
  if (excluded > 0) counts.set("node(s) didn't match node selector", (counts.get("node(s) didn't match node selector") ?? 0) + excluded);
  const parts = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([r, c]) => `${c} ${r}`);
  return `0/${all} nodes are available: ${parts.join(', ')}`;
}

// ---- preemption (kube's DefaultPreemption, simplified to one pass over the failed nodes) ----

interface Candidate {
  node: NodeInfo;
  victims: PodInfo[];
}

/**
 * Victims on one node: remove every lower-priority workload; if the pod then fits, add them back
 * most important first and keep out only those whose return would make it not fit ("reprieve").
 */
export function selectVictimsOnNode(fw: Framework, state: CycleState, pod: PodInfo, node: NodeInfo): PodInfo[] | undefined {
  const lower: PodInfo[] = [];
  for (const p of node.pods.values()) if (p.priority < pod.priority) lower.push(p);
  if (!lower.length) return undefined;
  // Cheap bound before the what-if: even evicting all of them would not free enough.
  const free = node.free();
  let cpu = free.cpu, mem = free.memory, pids = free.pids;
  for (const p of lower) {
    cpu += p.requested.cpu;
    mem += p.requested.memory;
    pids += p.requested.pids;
  }
  if (pod.requested.cpu > cpu || pod.requested.memory > mem || pod.requested.pids > pids) return undefined;
  const what = node.clone();
  for (const p of lower) what.removePod(p.id);
  if (fw.runFilters(state, pod, what)) return undefined;
  lower.sort((a, b) => b.priority - a.priority || a.requested.memory - b.requested.memory);
  const victims: PodInfo[] = [];
  for (const p of lower) {
    what.addPod(p);
    if (fw.runFilters(state, pod, what)) {
      what.removePod(p.id);
      victims.push(p);
    }
  }
  return victims;
}

/** Orders candidates: lowest highest-victim priority, then fewest victims, then lowest priority sum. */
export function compareCandidates(a: PodInfo[], b: PodInfo[]): number {
  const max = (vs: PodInfo[]) => vs.reduce((m, v) => Math.max(m, v.priority), -Infinity);
  const sum = (vs: PodInfo[]) => vs.reduce((s, v) => s + v.priority, 0);
  return max(a) - max(b) || a.length - b.length || sum(a) - sum(b);
}

function preempt(fw: Framework, state: CycleState, pod: PodInfo, failed: Array<{ node: NodeInfo; status: Status }>): Candidate | undefined {
  let best: Candidate | undefined;
  for (const { node, status } of failed) {
    // Removing workloads cannot fix a label or taint mismatch.
    if (status.code !== 'unschedulable') continue;
    const victims = selectVictimsOnNode(fw, state, pod, node);
    if (!victims) continue;
    if (!best || compareCandidates(victims, best.victims) < 0) best = { node, victims };
  }
  return best;
}

// ---- the stateful wrapper --------------------------------------------------------------------

export interface Placement {
  id: string;
  namespace: string;
  node: string;
  qos: QosClass;
  priority: number;
  /** Ids of the workloads evicted to make room. */
  preempted: Array<{ id: string; namespace: string; priority: number; node: string }>;
}

/** Applies decisions to a cluster: quota check, schedule, evict victims, assume. */
export class Scheduler {
  private startIndex = 0;
  readonly quotas: QuotaBook;

  constructor(readonly cluster: Cluster, public framework: Framework, quotas?: QuotaBook) {
    this.quotas = quotas ?? new QuotaBook();
  }

  /** Places the workload or throws ResourceExhausted with every reason that applies. */
  place(req: WorkloadRequest | PodInfo, opts: { preempt?: boolean } = {}): Placement {
    const pod = 'qos' in req ? req : podInfo(req);
    const quotaWhy = this.quotas.shortfall(pod);
    const r = schedule(this.framework, this.cluster, pod, { startIndex: this.startIndex, preempt: opts.preempt ?? !quotaWhy });
    this.startIndex = r.nextStartIndex;
    if (!r.node || quotaWhy) {
      const why = [r.node ? '' : r.message, quotaWhy].filter(Boolean).join('; ');
      throw new ResourceExhausted(`workload ${pod.id} does not fit: ${why}`);
    }
    const preempted = r.victims.map((v) => ({ id: v.id, namespace: v.namespace, priority: v.priority, node: r.node! }));
    for (const v of r.victims) this.release(v.id);
    this.cluster.assume(pod, r.node);
    this.quotas.charge(pod, 1);
    return { id: pod.id, namespace: pod.namespace, node: r.node, qos: pod.qos, priority: pod.priority, preempted };
  }

  /** Removes a workload and returns its quota; a no-op for an unknown id. */
  release(id: string): PodInfo | undefined {
    const p = this.cluster.forget(id);
    if (p) this.quotas.charge(p, -1);
    return p;
  }
}
