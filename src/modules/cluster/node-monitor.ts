// The node monitor (after Kubernetes' node lifecycle controller): status is computed from the lease
// when read, so nothing has to flip it; this loop only tells the event bus when a node becomes
// Ready or NotReady (`llmos events --prefix /nodes`), once per change.
import type { NodeView } from '../../contracts/cluster.js';

export interface StatusChange {
  name: string;
  status: NodeView['status'];
  lastHeartbeat: string | null;
}

export class NodeMonitor {
  private readonly last = new Map<string, NodeView['status']>();

  /** The changes since the previous call (a node seen for the first time counts as a change). */
  changes(nodes: readonly NodeView[]): StatusChange[] {
    const out: StatusChange[] = [];
    const seen = new Set<string>();
    for (const n of nodes) {
      seen.add(n.name);
      if (this.last.get(n.name) !== n.status) out.push({ name: n.name, status: n.status, lastHeartbeat: n.lastHeartbeat });
      this.last.set(n.name, n.status);
    }
    for (const name of [...this.last.keys()]) if (!seen.has(name)) this.last.delete(name);
    return out;
  }
}
