// NodeSelector: the node must carry every label the workload selects (kube's nodeSelector,
// the simple form of NodeAffinity). Labels include zone, role=edge|cloud and custom ones.
import { unresolvable, type CycleState, type FilterPlugin, type PreFilterPlugin, type PreFilterResult, type Status } from '../framework.js';
import type { Cluster, NodeInfo, PodInfo } from '../node-info.js';

export const NodeSelectorName = 'NodeSelector';

export class NodeSelector implements PreFilterPlugin, FilterPlugin {
  readonly name = NodeSelectorName;

  /** Narrows the search to the nodes of the rarest selected label, from the cluster's label index. */
  preFilter(_s: CycleState, pod: PodInfo, cluster: Cluster): PreFilterResult | null {
    const sel = pod.nodeSelector;
    if (!sel) return null;
    let nodes: readonly NodeInfo[] | undefined;
    for (const k in sel) {
      const withLabel = cluster.nodesWithLabel(k, sel[k]!);
      if (!withLabel.length) return { status: unresolvable("node(s) didn't match node selector", `no node has label ${k}=${sel[k]}`) };
      if (!nodes || withLabel.length < nodes.length) nodes = withLabel;
    }
    return { nodes };
  }
  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    const sel = pod.nodeSelector;
    if (!sel) return null;
    for (const k in sel) {
      if (node.labels[k] !== sel[k]) return unresolvable("node(s) didn't match node selector", `node label ${k}=${node.labels[k] ?? '(unset)'}, workload selects ${k}=${sel[k]}`);
    }
    return null;
  }
}
