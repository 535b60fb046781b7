// Registration of the CNI network module: the container bridge network (kind llmos.network.v1).
import { Kinds } from '../../contracts/kinds.js';
import type { ContainerNetworkApi } from '../../contracts/containers.js';
import { InvalidArgument, SkipModule, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { CniNetwork, daemonTag, validateSubnet } from './cni-network.js';
import { guardChain, installGuard } from './guard.js';
import { guardedNetwork, releaseGuard } from './guarded.js';

export interface NetworkConfig {
  /** Private subnet of the bridge; podman uses 10.88.0.0/16, so LLMOS takes the next one. */
  subnet: string;
  bridge: string;
  name: string;
  /** host-local lease store, shared with other LLMOS daemons on the host. */
  ipamDir: string;
}

export const networkModule = (): ModuleDef<NetworkConfig, ContainerNetworkApi> => {
  let bridge = '';
  let log: ((msg: string) => void) | undefined;
  return {
    kind: Kinds.network,
    id: 'cni',
    description: 'container networking: CNI bridge, host-local IPAM, portmap, loopback guard',
    defaults: { subnet: '10.89.0.0/16', bridge: 'llmos0', name: 'llmos', ipamDir: '/var/lib/cni/networks' },
    validate(c) {
      validateSubnet(c.subnet);
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
      return guardedNetwork(net, bridge);
    },
    async stop() {
      if (!bridge) return;
      await releaseGuard(bridge).catch((e) => log?.(`bridge guard ${guardChain(bridge)} not removed: ${errorMessage(e)}`));
    },
  };
};
