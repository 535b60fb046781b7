// PodTopologySpread (scoring, "ScheduleAnyway"): prefers zones holding fewer workloads of the
// same spread key, so replicas of a service land in different zones
// (kube podtopologyspread/scoring.go). Nodes without a zone label are ignored and score 0.
import { MaxNodeScore, type CycleState, type PreScorePlugin, type ScorePlugin } from '../framework.js';
import type { Cluster, NodeInfo, PodInfo } from '../node-info.js';

export const TopologySpreadName = 'PodTopologySpread';

const stateKey = 'PreScore' + TopologySpreadName;
const noCounts: ReadonlyMap<string, number> = new Map();

export class TopologySpread implements PreScorePlugin, ScorePlugin {
  readonly name = TopologySpreadName;

  preScore(state: CycleState, pod: PodInfo, _n: readonly NodeInfo[], cluster: Cluster): void {
    // The counts are kept incrementally by the Cluster, so this is a lookup, not a recount.
    state.write(stateKey, pod.spreadKey ? (cluster.spread.get(pod.spreadKey) ?? noCounts) : undefined);
  }

  /** Raw: workloads of the same spread key already in the node's zone. */
  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const counts = state.read<ReadonlyMap<string, number> | undefined>(stateKey);
    if (!counts || !node.zone) return 0;
    return counts.get(node.zone) ?? 0;
  }

  scoreAll(state: CycleState, _pod: PodInfo, nodes: readonly NodeInfo[], out: Float64Array): void {
    const counts = state.read<ReadonlyMap<string, number> | undefined>(stateKey);
    if (!counts) {
      out.fill(0);
      return;
    }
    for (let i = 0; i < nodes.length; i++) {
      const z = nodes[i]!.zone;
      out[i] = z ? (counts.get(z) ?? 0) : 0;
    }
  }

  /** 100 × (max + min - count) / max over nodes with a zone; every node 100 when all counts are 0. */
  normalizeScore(state: CycleState, _p: PodInfo, nodes: readonly NodeInfo[], scores: Float64Array): void {
    const counts = state.read<ReadonlyMap<string, number> | undefined>(stateKey);
    if (!counts) {
      scores.fill(0);
      return;
    }
    let min = Infinity;
    let max = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (!nodes[i]!.zone) continue;
      const s = scores[i]!;
      if (s < min) min = s;
      if (s > max) max = s;
    }
    for (let i = 0; i < nodes.length; i++) {
      if (!nodes[i]!.zone) scores[i] = 0;
      else scores[i] = max === 0 ? MaxNodeScore : Math.floor((MaxNodeScore * (max + min - scores[i]!)) / max);
    }
  }
}
