// Registration of the CNI network module: the container bridge network (kind llmos.network.v1).
import { Kinds } from '../../contracts/kinds.js';
import type { ContainerNetworkApi } from '../../contracts/containers.js';
import type { ServiceNetworkApi } from '../../contracts/network.js';
import { InvalidArgument, SkipModule, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { CniNetwork, daemonTag, validateSubnet } from './cni-network.js';
import path from 'node:path';
import { guardChain, installGuard } from './guard.js';
import { svcTable } from './nft.js';
import { guardedNetwork, releaseGuard } from './guarded.js';
import { ServiceNet } from './service-net.js';
import type { UserNetworksApi } from '../../contracts/user-networks.js';
import { UserNetworks } from './user-networks.js';
import { SubnetClaims } from './user-subnets.js';

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
}

/** userNetworks: re-provided under its own kind by user-networks-module.ts. */
export type NetworkApi = ContainerNetworkApi & ServiceNetworkApi & { userNetworks?: UserNetworksApi };

export const networkModule = (): ModuleDef<NetworkConfig, NetworkApi> => {
  let bridge = '';
  let log: ((msg: string) => void) | undefined;
  let names: ServiceNet | undefined;
  let users: UserNetworks | undefined;
  let unsubscribe: (() => void) | undefined;
  return {
    kind: Kinds.network,
    id: 'cni',
    description: 'container networking: CNI bridge, host-local IPAM, portmap, loopback guard',
    defaults: { subnet: '10.89.0.0/16', bridge: 'llmos0', name: 'llmos', ipamDir: '/var/lib/cni/networks', serviceCidr: '10.96.0.0/16', dns: true, dnsDir: '/run/llmos/dns', userPool: '10.90.0.0/16', userClaimsDir: '/run/llmos/user-networks' },
    validate(c) {
      validateSubnet(c.subnet);
      validateSubnet(c.serviceCidr);
      validateSubnet(c.userPool);
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(c.bridge)) throw new InvalidArgument(`bridge name ${JSON.stringify(c.bridge)} must be 1-15 letters, digits, '.', '_' or '-'`);
      return c;
    },
    async init(ctx) {
      if (!ctx.host.root) throw new SkipModule('container networking needs root');
      const dir = ctx.host.cni.dir;
      const missing = ['bridge', 'host-local', 'loopback', 'portmap'].filter((p) => !ctx.host.cni.plugins.includes(p));
      if (!dir || missing.length) throw new SkipModule(`CNI plugins missing: ${dir ? missing.join(', ') : 'no plugin directory'} (install containernetworking-plugins)`);
      if (!ctx.host.binaries.iptables.path) throw new SkipModule('iptables is not installed');
      const net = new CniNetwork({ ...ctx.config, pluginDir: dir, tag: daemonTag(ctx.dataDir) });
      bridge = ctx.config.bridge;
      log = (m) => ctx.log.warn(m);
      // Containers adopted at boot are already on the bridge: guard them before anything else.
      await installGuard(bridge);
      ctx.meta.exports.subnet = ctx.config.subnet;
      ctx.meta.exports.bridge = bridge;
      ctx.meta.exports.guardChain = guardChain(bridge);
      const tag = daemonTag(ctx.dataDir);
      names = new ServiceNet({ tag, bridge, gateway: validateSubnet(ctx.config.subnet).gateway, serviceCidr: ctx.config.serviceCidr, leaseDir: path.join(ctx.config.ipamDir, 'llmos-services'), stateDir: ctx.dir, dnsRoot: ctx.config.dnsDir });
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
      return { ...guardedNetwork(net, bridge, dnsOn ? n : undefined, u), userNetworks: u, syncServices: (s) => n.syncServices(s), serviceState: (ns, name) => n.serviceState(ns, name), clusterIps: () => n.clusterIps() };
    },
    async stop() {
      unsubscribe?.();
      users?.stop();
      await names?.stop().catch((e) => log?.(`dnsmasq of ${bridge} not stopped: ${errorMessage(e)}`));
      if (!bridge) return;
      await releaseGuard(bridge).catch((e) => log?.(`bridge guard ${guardChain(bridge)} not removed: ${errorMessage(e)}`));
    },
  };
};
