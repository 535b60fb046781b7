// NodePorts: a workload's host ports must be free on the node (same protocol and port conflict
// when either binds 0.0.0.0 or both bind the same address; kube nodeports/node_ports.go).
import { unschedulable, type CycleState, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const NodePortsName = 'NodePorts';

export class NodePorts implements FilterPlugin {
  readonly name = NodePortsName;
  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    for (const hp of pod.hostPorts) {
      if (node.portConflict(hp)) return unschedulable("node(s) didn't have free ports for the requested pod ports", `host port ${hp.hostIp}:${hp.port}/${hp.protocol} is already in use on the node`);
    }
    return null;
  }
}
