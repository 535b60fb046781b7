// Placement of plain containers (`llmos run IMG` without --node) on a server that nodes have
// joined: the scheduler's placeAcross over the Ready, connected nodes, as a service replica is
// placed (taints, cordon, node selector, node affinity, resources against allocatable; private
// nodes before public ones, the default hybrid preference). A node's
// `allocated` is its agent's last report; what this server placed there since that report is
// added, so a burst of runs between two heartbeats does not all see the same free room.
import type { ContainerPlacementRequest, NodeView } from '../../contracts/cluster.js';
import type { PlacementNode, SchedulerApi } from '../../contracts/scheduler.js';
import { ResourceExhausted } from '../../kernel/errors.js';

interface Pending {
  cpu: number;
  memory: number;
  /** Epoch ms of the placement. */
  at: number;
}

/** A container's requests as the scheduler accounts them: the requests, else the limits (CPU in millicores). */
export function containerRequests(spec: ContainerPlacementRequest['spec']): { cpu: number; memory: number } {
  return { cpu: Math.round((spec.requests?.cpu ?? spec.cpus ?? 0) * 1000), memory: spec.requests?.memory ?? spec.memory ?? 0 };
}

/** A node as placement sees it: Ready only with an open tunnel, allocated plus what was placed since its report. */
export function placementNodeOf(n: NodeView, pending: readonly Pending[]): PlacementNode {
  const since = n.lastHeartbeat ? Date.parse(n.lastHeartbeat) : 0;
  const extra = pending.filter((p) => p.at >= since).reduce((a, p) => ({ cpu: a.cpu + p.cpu, memory: a.memory + p.memory }), { cpu: 0, memory: 0 });
  return {
    name: n.name,
    labels: n.labels,
    taints: n.taints,
    unschedulable: n.unschedulable,
    ready: n.status === 'Ready' && !!n.connected && n.runtimes.includes('runc'),
    allocatable: n.allocatable,
    allocated: { cpu: n.allocated.cpu + extra.cpu, memory: n.allocated.memory + extra.memory },
    images: n.images,
  };
}

export class ContainerPlacer {
  private readonly pending = new Map<string, Pending[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The node for one container, or undefined when no node has joined (one machine: it runs here).
   * ResourceExhausted with the scheduler's reasons when no node fits.
   */
  place(sched: SchedulerApi | undefined, views: readonly NodeView[], req: ContainerPlacementRequest): string | undefined {
    this.forgetReported(views);
    if (!views.length) return undefined;
    if (!sched) throw new ResourceExhausted('cannot place the container on a node: the scheduler module is not loaded');
    const requests = containerRequests(req.spec);
    const d = sched.placeAcross(views.map((v) => placementNodeOf(v, this.pending.get(v.name) ?? [])), {
      id: req.spec.name ?? 'container',
      requests,
      image: req.spec.image,
      peers: {},
      ...(req.nodeSelector && Object.keys(req.nodeSelector).length ? { nodeSelector: req.nodeSelector } : {}),
      ...(req.nodeAffinity ? { nodeAffinity: req.nodeAffinity } : {}),
    });
    if (!d.node) throw new ResourceExhausted(`no node for container ${req.spec.name ?? req.spec.image}: ${d.message}`);
    this.pending.set(d.node, [...(this.pending.get(d.node) ?? []), { ...requests, at: this.now() }]);
    return d.node;
  }

  /** Placements older than their node's last report are in that report's `allocated`. */
  private forgetReported(views: readonly NodeView[]): void {
    const byName = new Map(views.map((v) => [v.name, v]));
    for (const [name, list] of this.pending) {
      const v = byName.get(name);
      const since = v?.lastHeartbeat ? Date.parse(v.lastHeartbeat) : undefined;
      const keep = v && since !== undefined ? list.filter((p) => p.at >= since) : v ? list : [];
      if (keep.length) this.pending.set(name, keep);
      else this.pending.delete(name);
    }
  }
}
