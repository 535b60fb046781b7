// NodeResourcesFit: the filter refuses nodes without enough allocatable CPU, memory or PIDs
// left for the workload's requests; the score rates the node by a strategy chosen from a map
// at construction (kube-scheduler noderesources/fit.go, least_allocated.go, most_allocated.go,
// requested_to_capacity_ratio.go).
import { InvalidArgument } from '../../../kernel/errors.js';
import { formatAmount, formatResource } from '../../../kernel/quantity.js';
import { MaxNodeScore, type CycleState, type FilterPlugin, type ScorePlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';
import { resourceNames } from '../types.js';

export const NodeResourcesFitName = 'NodeResourcesFit';

/** (capacity - requested) × 100 / capacity: emptier nodes score higher (spreading). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MaxNodeScore) / capacity);
}

/** requested × 100 / capacity: fuller nodes score higher (bin packing). */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity <= 0) return 0;
  // Requests can exceed capacity because workloads without requests count as the defaults.
  return Math.floor((Math.min(requested, capacity) * MaxNodeScore) / capacity);
}

export interface ShapePoint {
  utilization: number; // percent
  score: number; // 0..10, scaled ×10 like kube's
}

/** Piecewise-linear score of utilization, kube's RequestedToCapacityRatio. */
export function shapeScore(shape: readonly ShapePoint[], requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  const u = (requested * 100) / capacity;
  const pts = shape;
  if (u <= pts[0]!.utilization) return pts[0]!.score * 10;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (u <= b.utilization) return Math.floor((a.score + ((b.score - a.score) * (u - a.utilization)) / (b.utilization - a.utilization)) * 10);
  }
  return pts[pts.length - 1]!.score * 10;
}

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

export interface FitArgs {
  scoringStrategy?: {
    type: ScoringStrategyType;
    /** Resources scored and their weights; default cpu 1, memory 1. */
    resources?: Array<{ name: 'cpu' | 'memory'; weight: number }>;
    shape?: ShapePoint[];
  };
}

type Scorer = (requested: number, capacity: number) => number;

const strategyTypeMap: Record<ScoringStrategyType, (args: FitArgs) => Scorer> = {
  LeastAllocated: () => leastRequestedScore,
  MostAllocated: () => mostRequestedScore,
  RequestedToCapacityRatio: (args) => {
    const shape = args.scoringStrategy?.shape ?? [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }];
    if (shape.length < 1 || shape.some((p, i) => i > 0 && p.utilization <= shape[i - 1]!.utilization)) throw new InvalidArgument('RequestedToCapacityRatio shape must have increasing utilization points');
    return (r, c) => shapeScore(shape, r, c);
  },
};

export class NodeResourcesFit implements FilterPlugin, ScorePlugin {
  readonly name = NodeResourcesFitName;
  private readonly scorer: Scorer;
  private readonly cpuWeight: number;
  private readonly memWeight: number;

  constructor(args: FitArgs = {}) {
    const type = args.scoringStrategy?.type ?? 'LeastAllocated';
    const make = Object.hasOwn(strategyTypeMap, type) ? strategyTypeMap[type] : undefined;
    if (!make) throw new InvalidArgument(`unknown scoring strategy ${type} (known: ${Object.keys(strategyTypeMap).join(', ')})`);
    this.scorer = make(args);
    const rs = args.scoringStrategy?.resources ?? [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }];
    this.cpuWeight = rs.find((r) => r.name === 'cpu')?.weight ?? 0;
    this.memWeight = rs.find((r) => r.name === 'memory')?.weight ?? 0;
    if (this.cpuWeight < 0 || this.memWeight < 0 || this.cpuWeight + this.memWeight === 0) throw new InvalidArgument('NodeResourcesFit resource weights must be >= 0 and not all 0');
  }

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    const r = pod.requested;
    // Unrolled for the hot path; fitDetail() builds the sentence only on failure.
    if (r.cpu > node.freeCpu) return fitFailure(pod, node, 'cpu');
    if (r.memory > node.freeMemory) return fitFailure(pod, node, 'memory');
    if (r.pids > node.freePids) return fitFailure(pod, node, 'pids');
    return null;
  }

  score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
    // Scoring counts requests with the non-zero defaults, as kube-scheduler does.
    const cpu = this.scorer(node.nonZeroCpu + pod.nonZeroCpu, node.allocCpu);
    const mem = this.scorer(node.nonZeroMemory + pod.nonZeroMemory, node.allocMemory);
    return Math.floor((cpu * this.cpuWeight + mem * this.memWeight) / (this.cpuWeight + this.memWeight));
  }

  scoreAll(_s: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: Float64Array): void {
    const f = this.scorer;
    const wc = this.cpuWeight;
    const wm = this.memWeight;
    const w = wc + wm;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      out[i] = Math.floor((f(n.nonZeroCpu + pod.nonZeroCpu, n.allocCpu) * wc + f(n.nonZeroMemory + pod.nonZeroMemory, n.allocMemory) * wm) / w);
    }
  }
}

const insufficient = { cpu: 'Insufficient cpu', memory: 'Insufficient memory', pids: 'Insufficient pids' } as const;

/** The sentence is built only when read (a full cluster fails thousands of nodes per cycle). */
class FitFailure implements Status {
  readonly code = 'unschedulable' as const;
  readonly reason: string;
  plugin?: string;
  private readonly free: number;
  constructor(private readonly want: number, free: number, private readonly dim: (typeof resourceNames)[number]) {
    this.reason = insufficient[dim];
    this.free = Math.max(0, free);
  }
  get detail(): string {
    return `needs ${formatResource(this.dim, this.want)}, node has ${formatAmount(this.dim, this.free)} allocatable free`;
  }
}

function fitFailure(pod: PodInfo, node: NodeInfo, dim: (typeof resourceNames)[number]): Status {
  return new FitFailure(pod.requested[dim], node.allocatable[dim] - node.requested[dim], dim);
}
