// The server's side of cluster routing: the server is not an agent, so it builds the network map
// from its own node registry (the cluster module) and keeps routes to every node's pod subnet.
// It runs at each node join or removal and every 10 s; on a joined node the agent feeds the map
// instead (agent/network-sync.ts), and it claims the routing first, so this loop stays idle there.
import { clusterKind, type ClusterApi } from '../../contracts/cluster.js';
import { CoalescedRun } from '../../kernel/coalesce.js';
import { errorMessage } from '../../kernel/errors.js';
import type { InitContext } from '../../kernel/module.js';
import type { ClusterRouting } from './cluster-routes.js';

export function serverClusterSync(ctx: InitContext<unknown>, routing: ClusterRouting): () => void {
  let failing = false;
  const syncOnce = async () => {
    const cluster = ctx.getOptional<ClusterApi>(clusterKind);
    if (!cluster || !routing.claim('server')) return;
    try {
      const nodes = (await cluster.nodes()).filter((n) => n.podSubnet).map((n) => ({ name: n.name, address: n.address, podSubnet: n.podSubnet }));
      await routing.apply({ self: '', nodes, services: [] }, 'server');
      failing = false;
    } catch (e) {
      if (!failing) ctx.log.warn(`cluster network: routes to the nodes not synced: ${errorMessage(e)}`);
      failing = true;
    }
  };
  // Coalesced: a burst of joins (a thousand nodes coming up) makes one sync running and at most one more after it.
  const loop = new CoalescedRun(syncOnce, (e) => ctx.log.warn(`cluster network: ${errorMessage(e)}`));
  const sync = () => loop.run();
  const offs = [ctx.reconciler.register('network/cluster-routes', sync, 10_000), ...['/nodes/joined', '/nodes/removed'].map((t) => ctx.events.subscribe(t, () => void sync()))];
  return () => offs.forEach((off) => off());
}
