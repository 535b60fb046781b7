// NodeAffinity: the node must satisfy the workload's required node affinity (Kubernetes'
// requiredDuringSchedulingIgnoredDuringExecution: any term, every expression of it). The
// matching is the contract's pure matchesNodeAffinity, which the manifest reader's checks share.
import { formatNodeAffinity, matchesNodeAffinity } from '../../../contracts/placement.js';
import { unresolvable, type CycleState, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const NodeAffinityName = 'NodeAffinity';

export class NodeAffinity implements FilterPlugin {
  readonly name = NodeAffinityName;

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    const terms = pod.nodeAffinity?.required;
    if (!terms?.length || matchesNodeAffinity(node.labels, terms)) return null;
    return unresolvable("node(s) didn't match node affinity", `node affinity ${formatNodeAffinity(terms)}`);
  }
}
