// Registration of the CNI network module: the container bridge network (kind llmos.network.v1).
import { Kinds } from '../../contracts/kinds.js';
import type { ContainerNetworkApi } from '../../contracts/containers.js';
import type { ServiceNetworkApi } from '../../contracts/network.js';
import { InvalidArgument, SkipModule, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { CniNetwork, daemonTag, validateSubnet } from './cni-network.js';
import path from 'node:path';
import { guardChain } from './guard.js';
import { GuardKeeper } from './guard-keeper.js';
import { svcTable } from './nft.js';
import { guardedNetwork, releaseGuard } from './guarded.js';
import { ServiceNet } from './service-net.js';
import type { UserNetworksApi } from '../../contracts/user-networks.js';
import { UserNetworks } from './user-networks.js';
import { SubnetClaims } from './user-subnets.js';
import { clusterKind } from '../../contracts/cluster.js';
import type { ClusterRoutingApi } from '../../contracts/network.js';
import { ClusterRouting } from './cluster-routes.js';
import { NetnsPool } from './netns-pool.js';
import { serverClusterSync } from './cluster-sync.js';
import { moveBridgeSubnet, savedPodSubnet } from './cluster-subnet.js';
import { canonicalCidr, CLUSTER_POD_CIDR } from '../../contracts/network.js';

export interface NetworkConfig {
  /** Private subnet of the bridge; podman uses 10.88.0.0/16, so LLMOS takes the next one. */
  subnet: string;
  bridge: string;
  name: string;
  /** host-local lease store, shared with other LLMOS daemons on the host. */
  ipamDir: string;
  /** ClusterIPs of services (Kubernetes' default service CIDR is 10.96.0.0/12). */
  serviceCidr: string;
  /** Names for containers and services (dnsmasq on the bridge address). */
  dns: boolean;
  /** Where the per-bridge dnsmasq directories live. */
  dnsDir: string;
  /** User networks: their /24s come from here unless --subnet is given; claims shared host-wide. */
  userPool: string;
  userClaimsDir: string;
  /** Network namespaces kept ready on the bridge for containers without published ports (netns-pool.ts); 0: none. */
  netnsPool: number;
}

/** userNetworks: re-provided under its own kind by user-networks-module.ts. */
export type NetworkApi = ContainerNetworkApi & ServiceNetworkApi & { userNetworks?: UserNetworksApi; clusterRouting?: ClusterRoutingApi };

export const networkModule = (): ModuleDef<NetworkConfig, NetworkApi> => {
  let bridge = '';
  let subnet: string | undefined;
  let log: ((msg: string) => void) | undefined;
  let names: ServiceNet | undefined;
  let users: UserNetworks | undefined;
  let unsubscribe: (() => void) | undefined;
  let cluster: { routing: ClusterRouting; off: () => void } | undefined;
  let unForget: (() => void) | undefined;
  let pool: NetnsPool | undefined;
  return {
    kind: Kinds.network,
    id: 'cni',
    description: 'container networking: CNI bridge, host-local IPAM, portmap, loopback guard',
    optional: [clusterKind],
    defaults: { subnet: '10.89.0.0/16', bridge: 'llmos0', name: 'llmos', ipamDir: '/var/lib/cni/networks', serviceCidr: '10.96.0.0/16', dns: true, dnsDir: '/run/llmos/dns', userPool: '10.90.0.0/16', userClaimsDir: '/run/llmos/user-networks', netnsPool: 2 },
    validate(c) {
      validateSubnet(c.subnet);
      validateSubnet(c.serviceCidr);
      validateSubnet(c.userPool);
      if (!Number.isInteger(c.netnsPool) || c.netnsPool < 0 || c.netnsPool > 32) throw new InvalidArgument(`netnsPool ${JSON.stringify(c.netnsPool)} must be a whole number from 0 to 32`);
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(c.bridge)) throw new InvalidArgument(`bridge name ${JSON.stringify(c.bridge)} must be 1-15 letters, digits, '.', '_' or '-'`);
      return c;
    },
    async init(ctx) {
      if (!ctx.host.root) throw new SkipModule('container networking needs root');
      const dir = ctx.host.cni.dir;
      const missing = ['bridge', 'host-local', 'loopback', 'portmap'].filter((p) => !ctx.host.cni.plugins.includes(p));
      if (!dir || missing.length) throw new SkipModule(`CNI plugins missing: ${dir ? missing.join(', ') : 'no plugin directory'} (install containernetworking-plugins)`);
      if (!ctx.host.binaries.iptables.path) throw new SkipModule('iptables is not installed');
      // A joined node keeps the pod subnet the server allocated (cluster-subnet.ts) unless one is configured.
      const adopted = canonicalCidr(ctx.config.subnet) === CLUSTER_POD_CIDR ? await savedPodSubnet(ctx.dir) : undefined;
      const cfg = { ...ctx.config, subnet: adopted ?? ctx.config.subnet };
      const net = new CniNetwork({ ...cfg, pluginDir: dir, tag: daemonTag(ctx.dataDir) });
      bridge = ctx.config.bridge;
      log = (m) => ctx.log.warn(m);
      // Containers adopted at boot are already on the bridge: guard them before anything else.
      // The bridge's outbound NAT is one shared rule kept with the guard (masq.ts), not CNI's per-container chains.
      subnet = validateSubnet(cfg.subnet).network;
      const guard = new GuardKeeper(bridge, subnet);
      await guard.ensure();
      ctx.meta.exports.subnet = cfg.subnet;
      ctx.meta.exports.bridge = bridge;
      ctx.meta.exports.guardChain = guardChain(bridge);
      // Filled on the first bridge start, not at boot; never on the bridge before its guard.
      pool = net.pool = new NetnsPool({
        size: ctx.config.netnsPool,
        prefix: net.poolPrefix,
        stateFile: path.join(ctx.dir, 'netns-pool.json'),
        refillDelayMs: 1000,
        add: async (id) => (await guard.ensure(), net.addPoolEntry(id)),
        remove: (id, result) => net.removePoolEntry(id, result),
        warn: (m) => ctx.log.warn(m),
      });
      const tag = daemonTag(ctx.dataDir);
      names = new ServiceNet({ tag, bridge, gateway: validateSubnet(cfg.subnet).gateway, serviceCidr: ctx.config.serviceCidr, leaseDir: path.join(ctx.config.ipamDir, 'llmos-services'), stateDir: ctx.dir, dnsRoot: ctx.config.dnsDir });
      // Without dnsmasq the network still works; containers then get the host's resolv.conf.
      const dnsOn = ctx.config.dns && (await names.start().then(() => true, (e) => (ctx.log.warn(`container DNS is off: ${errorMessage(e)}`), false)));
      ctx.meta.exports.serviceCidr = ctx.config.serviceCidr;
      ctx.meta.exports.serviceTable = `ip ${svcTable(tag)}`;
      ctx.meta.exports.dns = dnsOn ? names.dns.dir : 'off';
      const n = names;
      const u = new UserNetworks({
        tag,
        defaultBridge: bridge,
        pluginDir: dir,
        ipamDir: ctx.config.ipamDir,
        dnsRoot: ctx.config.dnsDir,
        stateDir: ctx.dir,
        claims: new SubnetClaims(ctx.config.userClaimsDir, [ctx.config.subnet, ctx.config.serviceCidr, '10.88.0.0/16'], ctx.config.userPool),
        cniId: (id) => net.cniId(id),
        netnsPath: (id) => net.containerNetns(id),
        takeNetns: (id) => net.takeNetns(id),
        warn: (m) => ctx.log.warn(m),
      });
      await u.start();
      users = u;
      // A renamed container answers to its new name on its user networks.
      unsubscribe = ctx.events.subscribe('/containers/rename', (e) => {
        const id = e.data?.id;
        const name = e.subject?.replace(/^container\//, '');
        if (typeof id === 'string' && name) void u.renamed(id, name).catch((err) => ctx.log.warn(`DNS of renamed ${name}: ${errorMessage(err)}`));
      });
      // A removed container's network connections go with it.
      unForget = ctx.events.subscribe('/containers/destroy', (e) => {
        if (typeof e.data?.id === 'string') void u.forget(e.data.id).catch((err) => ctx.log.warn(`connections of removed ${e.subject}: ${errorMessage(err)}`));
      });
      // Cluster mode: routes to the other nodes' pod subnets, fed by the agent or by the server's own node list.
      const parts = { bridge, net, guard, pool, names: dnsOn ? n : undefined, dir: ctx.dir };
      const routing = new ClusterRouting({
        tag,
        subnet: cfg.subnet,
        stateDir: ctx.dir,
        warn: (m) => ctx.log.warn(m),
        moveBridge: async (from, to) => {
          await moveBridgeSubnet(parts, from, to);
          subnet = to;
          ctx.meta.exports.subnet = to;
          ctx.log.info(`network: bridge ${bridge} moved to the pod subnet ${to} the server allocated`);
        },
      });
      await routing.start();
      cluster = { routing, off: serverClusterSync(ctx, routing) };
      return { ...guardedNetwork(net, guard, dnsOn ? n : undefined, u), userNetworks: u, clusterRouting: routing, syncServices: (s) => n.syncServices(s), serviceState: (ns, name) => n.serviceState(ns, name), clusterIps: () => n.clusterIps() };
    },
    async stop() {
      unsubscribe?.();
      unForget?.();
      cluster?.off();
      await cluster?.routing.close().catch((e) => log?.(`cluster routes not removed: ${errorMessage(e)}`));
      users?.stop();
      await names?.stop().catch((e) => log?.(`dnsmasq of ${bridge} not stopped: ${errorMessage(e)}`));
      // Before the guard: the free entries' veths are ports of the bridge.
      await pool?.close().catch((e) => log?.(`network namespace pool not emptied: ${errorMessage(e)}`));
      if (!bridge) return;
      await releaseGuard(bridge, subnet).catch((e) => log?.(`bridge guard ${guardChain(bridge)} not removed: ${errorMessage(e)}`));
    },
  };
};
