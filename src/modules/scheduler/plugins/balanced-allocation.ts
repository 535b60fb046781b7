// NodeResourcesBalancedAllocation: prefers nodes whose CPU and memory would be used in equal
// proportion, score = (1 - standard deviation of the utilisation fractions) × 100
// (kube noderesources/balanced_allocation.go).
import { MaxNodeScore, type CycleState, type ScorePlugin } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const BalancedAllocationName = 'NodeResourcesBalancedAllocation';

/** With two resources the standard deviation is |f1 - f2| / 2. Fractions are capped at 1. */
export function balancedScore(cpuFraction: number, memFraction: number): number {
  const f1 = Math.min(cpuFraction, 1);
  const f2 = Math.min(memFraction, 1);
  const std = Math.abs(f1 - f2) / 2;
  return Math.floor((1 - std) * MaxNodeScore);
}

export class BalancedAllocation implements ScorePlugin {
  readonly name = BalancedAllocationName;
  score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (node.allocCpu <= 0 || node.allocMemory <= 0) return 0;
    return balancedScore((node.nonZeroCpu + pod.nonZeroCpu) / node.allocCpu, (node.nonZeroMemory + pod.nonZeroMemory) / node.allocMemory);
  }

  scoreAll(s: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: Float64Array): void {
    for (let i = 0; i < nodes.length; i++) out[i] = this.score(s, pod, nodes[i]!);
  }
}
