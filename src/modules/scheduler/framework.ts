// The scheduling framework after kube-scheduler's (framework/interface.go, runtime/framework.go):
// plugins implement optional extension points; a profile picks plugins and score weights; the
// framework runs filter (first failure wins, stamped with the plugin name) and the score
// pipeline score → normalize → check [0,100] → × weight → sum.
import { Internal } from '../../kernel/errors.js';
import type { Cluster, NodeInfo, PodInfo } from './node-info.js';

export const MaxNodeScore = 100;
export const MinNodeScore = 0;

/**
 * Expected outcomes are values, not exceptions. `unschedulable`: may fit if other workloads are
 * removed (preemption can help); `unresolvable`: removing workloads cannot help (labels, taints).
 */
export type Code = 'success' | 'unschedulable' | 'unresolvable' | 'skip' | 'error';

export interface Status {
  code: Code;
  /** Short and constant, so failures can be counted across nodes ("Insufficient memory"). */
  reason: string;
  /** The full sentence for one node ("needs 512Mi memory, node has 300Mi allocatable free"). */
  detail?: string;
  /** Stamped by the framework. */
  plugin?: string;
}

export const unschedulable = (reason: string, detail?: string): Status => ({ code: 'unschedulable', reason, detail });
export const unresolvable = (reason: string, detail?: string): Status => ({ code: 'unresolvable', reason, detail });

/** Per-cycle scratch data, keyed by "<ExtensionPoint><PluginName>"; plugins keep no state in fields. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  read<T>(key: string): T {
    const v = this.data.get(key);
    if (v === undefined && !this.data.has(key)) throw new Internal(`cycle state has no ${key}: did its preScore run?`);
    return v as T;
  }
  has(key: string): boolean {
    return this.data.has(key);
  }
}

export interface Plugin {
  readonly name: string;
}
/** What a pre-filter may say: reject everywhere (status), or narrow the nodes worth filtering (kube's PreFilterResult). */
export interface PreFilterResult {
  status?: Status;
  /** Only these nodes can pass; the framework filters the smallest such set instead of the whole cluster. */
  nodes?: readonly NodeInfo[];
}
export interface PreFilterPlugin extends Plugin {
  /** Once per cycle, before any node is filtered. */
  preFilter(state: CycleState, pod: PodInfo, cluster: Cluster): PreFilterResult | null;
}
export interface FilterPlugin extends Plugin {
  /** null means the node passes. */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | null;
}
export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], cluster: Cluster): void;
}
export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /**
   * Optional batch form of score, same results: writes each node's raw score into out[i]. Lets a
   * plugin read its cycle state once and loop without a call per node (the hot path at 5,000 nodes).
   */
  scoreAll?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: Float64Array): void;
  /** Rescales raw scores in place to [0, 100]; without it raw scores must already be in range. */
  normalizeScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: Float64Array): void;
}

export type AnyPlugin = Plugin & Partial<PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin>;

const is = <K extends keyof AnyPlugin>(p: AnyPlugin, k: K): boolean => typeof p[k] === 'function';

export interface WeightedScore {
  plugin: ScorePlugin;
  weight: number;
}

/** A built profile: the plugins of each extension point, in order. */
export class Framework {
  readonly preFilters: PreFilterPlugin[];
  readonly filters: FilterPlugin[];
  readonly preScores: PreScorePlugin[];
  readonly scores: WeightedScore[];
  /** Scratch for one plugin's scores, reused across cycles (a framework runs one cycle at a time). */
  private buf = new Float64Array(0);
  private totalBuf = new Float64Array(0);

  constructor(
    readonly profileName: string,
    filters: AnyPlugin[],
    scores: Array<{ plugin: AnyPlugin; weight: number }>,
    /** 0 = adaptive as kube-scheduler (50% - nodes/125, at least 5%); 100 = every node. */
    readonly percentageOfNodesToScore: number,
  ) {
    const all = [...new Set([...filters, ...scores.map((s) => s.plugin)])];
    this.preFilters = filters.filter((p) => is(p, 'preFilter')) as PreFilterPlugin[];
    this.filters = filters.filter((p) => is(p, 'filter')) as FilterPlugin[];
    this.preScores = all.filter((p) => is(p, 'preScore') && scores.some((s) => s.plugin === p)) as PreScorePlugin[];
    this.scores = scores.map((s) => ({ plugin: s.plugin as ScorePlugin, weight: s.weight }));
  }

  /** A rejection, or the smallest candidate node set any pre-filter named (undefined: every node). */
  runPreFilter(state: CycleState, pod: PodInfo, cluster: Cluster): { status?: Status; nodes?: readonly NodeInfo[] } {
    let nodes: readonly NodeInfo[] | undefined;
    for (const p of this.preFilters) {
      const r = p.preFilter(state, pod, cluster);
      if (!r) continue;
      if (r.status && r.status.code !== 'success' && r.status.code !== 'skip') return { status: { ...r.status, plugin: p.name } };
      if (r.nodes && (!nodes || r.nodes.length < nodes.length)) nodes = r.nodes;
    }
    return { nodes };
  }

  /** The first failing filter's status, stamped with its name; null when the node passes all. */
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    for (let i = 0; i < this.filters.length; i++) {
      const s = this.filters[i]!.filter(state, pod, node);
      if (s) {
        s.plugin = this.filters[i]!.name;
        return s;
      }
    }
    return null;
  }

  /** Weighted sums, valid until the next call (the buffer is reused: a framework runs one cycle at a time). */
  runScores(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], cluster: Cluster): Float64Array {
    if (this.totalBuf.length < nodes.length) this.totalBuf = new Float64Array(nodes.length * 2);
    const total = this.totalBuf.subarray(0, nodes.length).fill(0);
    if (nodes.length === 0) return total;
    for (const p of this.preScores) p.preScore(state, pod, nodes, cluster);
    if (this.buf.length < nodes.length) this.buf = new Float64Array(nodes.length * 2);
    const scores = this.buf.subarray(0, nodes.length);
    for (const { plugin, weight } of this.scores) {
      if (plugin.scoreAll) plugin.scoreAll(state, pod, nodes, scores);
      else for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(state, pod, nodes[i]!);
      plugin.normalizeScore?.(state, pod, nodes, scores);
      for (let i = 0; i < nodes.length; i++) {
        const s = scores[i]!;
        if (!(s >= MinNodeScore && s <= MaxNodeScore)) throw new Internal(`plugin ${plugin.name} returned score ${s} for node ${nodes[i]!.name}, outside [0, 100]`);
        total[i]! += s * weight;
      }
    }
    return total;
  }
}

/**
 * How many feasible nodes to find before scoring, after kube-scheduler's numFeasibleNodesToFind:
 * small clusters are searched fully; large ones stop once this many feasible nodes are found.
 */
export const MinFeasibleNodesToFind = 100;
export const MinFeasibleNodesPercentageToFind = 5;

export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  if (numAllNodes < MinFeasibleNodesToFind || percentage >= 100) return numAllNodes;
  let adaptive = percentage;
  if (adaptive <= 0) {
    adaptive = 50 - Math.floor(numAllNodes / 125);
    if (adaptive < MinFeasibleNodesPercentageToFind) adaptive = MinFeasibleNodesPercentageToFind;
  }
  const n = Math.floor((numAllNodes * adaptive) / 100);
  return n < MinFeasibleNodesToFind ? MinFeasibleNodesToFind : n;
}
