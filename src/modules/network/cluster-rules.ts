// The pure part of cluster routing (flannel's host-gw backend): which routes a node keeps for the
// other nodes' pod subnets, and the iptables rules that let pod-to-pod traffic across nodes pass
// unmasqueraded. Tested beside (cluster-rules.test.ts); cluster-routes.ts applies them.
import { canonicalCidr, cidrsOverlap, type ClusterNetworkMap } from '../../contracts/network.js';

/** `proto` of the routes LLMOS installs (a number of its own, so `ip route show proto 76` finds them). */
export const ROUTE_PROTO = '76';

/** iptables chain of the daemon's cluster rules, named like its other host objects so the leak checker finds it (<= 28 chars). */
export const clusterChain = (tag: string): string => `llmos-${tag}-cluster`;
/** The nft table of service ports on every node (network/nft.ts's table under a tag of its own). */
export const nodePortTag = (tag: string): string => `${tag}-np`;

export interface PodRoute {
  subnet: string;
  via: string;
}

const bare = (address: string): string => address.replace(/^::ffff:/, '');

/**
 * The routes this node keeps: each other node's pod subnet via that node's address. A subnet
 * overlapping one of this host's own (its bridge) is never routed: on a host shared with
 * single-node daemons it would take their containers' traffic.
 */
export function podRoutes(map: ClusterNetworkMap, localSubnets: readonly string[]): { routes: PodRoute[]; skipped: string[] } {
  const routes: PodRoute[] = [];
  const skipped: string[] = [];
  for (const n of [...map.nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    if (n.name === map.self || !n.podSubnet) continue;
    const subnet = canonicalCidr(n.podSubnet);
    const via = bare(n.address);
    if (!subnet || !/^\d+\.\d+\.\d+\.\d+$/.test(via)) {
      skipped.push(`node ${n.name}: unusable pod subnet ${n.podSubnet} or address ${n.address}`);
      continue;
    }
    const local = localSubnets.find((l) => cidrsOverlap(l, subnet));
    if (local) {
      skipped.push(`node ${n.name}: its pod subnet ${subnet} overlaps this host's ${local}`);
      continue;
    }
    if (routes.some((r) => cidrsOverlap(r.subnet, subnet))) {
      skipped.push(`node ${n.name}: its pod subnet ${subnet} overlaps another node's`);
      continue;
    }
    routes.push({ subnet, via });
  }
  return { routes, skipped };
}

/**
 * The iptables-restore input (with --noflush: only this chain is rewritten) for the cluster chain:
 * in nat, pod traffic to another node's pods is accepted before CNI's masquerade (the source pod
 * IP survives); in filter, pod traffic between this node and the others is allowed.
 */
export function rulesScript(tag: string, own: string | undefined, peers: readonly PodRoute[]): string {
  const c = clusterChain(tag);
  const nat = own ? peers.map((p) => `-A ${c} -s ${own} -d ${p.subnet} -m comment --comment "llmos cluster: pod to pod, no masquerade" -j ACCEPT`) : [];
  const filter = peers.flatMap((p) => [
    `-A ${c} -s ${p.subnet}${own ? ` -d ${own}` : ''} -m comment --comment "llmos cluster: from node pods" -j ACCEPT`,
    ...(own ? [`-A ${c} -s ${own} -d ${p.subnet} -m comment --comment "llmos cluster: to node pods" -j ACCEPT`] : []),
  ]);
  return ['*nat', `:${c} - [0:0]`, ...nat, 'COMMIT', '*filter', `:${c} - [0:0]`, ...filter, 'COMMIT', ''].join('\n');
}

/** Where each table's chain is jumped to from (first, so it runs before CNI's rules). */
export const jumps = (tag: string): Array<{ table: string; chain: string; args: string[] }> => [
  { table: 'nat', chain: 'POSTROUTING', args: ['-m', 'comment', '--comment', 'llmos cluster pod routes', '-j', clusterChain(tag)] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'llmos cluster pod routes', '-j', clusterChain(tag)] },
];
