// ImageLocality: prefers nodes that already hold the workload's image (shorter cold start),
// weighting the image size by how widely it is spread so one node is not hot-spotted
// (kube imagelocality/image_locality.go).
import { MaxNodeScore, type CycleState, type PreScorePlugin, type ScorePlugin } from '../framework.js';
import type { Cluster, NodeInfo, PodInfo } from '../node-info.js';

export const ImageLocalityName = 'ImageLocality';

const mb = 1024 * 1024;
/** Below this the image is cheap to pull and not worth preferring a node for. */
export const MinThreshold = 23 * mb;
/** One container's cap: a larger image scores no higher. */
export const MaxContainerThreshold = 1000 * mb;

/** size × (nodes with the image / all nodes), clamped to [min, max] and scaled to 0..100. */
export function imageLocalityScore(size: number, nodesWithImage: number, totalNodes: number): number {
  if (!size || !totalNodes) return 0;
  let sum = (size * nodesWithImage) / totalNodes;
  if (sum < MinThreshold) sum = MinThreshold;
  else if (sum > MaxContainerThreshold) sum = MaxContainerThreshold;
  return Math.floor((MaxNodeScore * (sum - MinThreshold)) / (MaxContainerThreshold - MinThreshold));
}

const stateKey = 'PreScore' + ImageLocalityName;

export class ImageLocality implements PreScorePlugin, ScorePlugin {
  readonly name = ImageLocalityName;

  preScore(state: CycleState, pod: PodInfo, _n: readonly NodeInfo[], cluster: Cluster): void {
    // One small map per image, from the cluster's index: a lookup per node instead of each node's own map.
    const holders = pod.image ? cluster.imageNodes(pod.image) : undefined;
    state.write(stateKey, holders ? { holders, total: cluster.size } : null);
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<{ holders: ReadonlyMap<NodeInfo, number>; total: number } | null>(stateKey);
    if (!s) return 0;
    const size = s.holders.get(node);
    return size ? imageLocalityScore(size, s.holders.size, s.total) : 0;
  }

  scoreAll(state: CycleState, _pod: PodInfo, nodes: readonly NodeInfo[], out: Float64Array): void {
    const s = state.read<{ holders: ReadonlyMap<NodeInfo, number>; total: number } | null>(stateKey);
    if (!s) {
      out.fill(0);
      return;
    }
    const { holders, total } = s;
    const spread = holders.size;
    for (let i = 0; i < nodes.length; i++) {
      const size = holders.get(nodes[i]!);
      out[i] = size ? imageLocalityScore(size, spread, total) : 0;
    }
  }
}
