// The network API as the daemon serves it: the CNI network with the bridge guard (guard.ts) in
// place around every bridge attach, so a container is never on the bridge without it, even when
// another daemon sharing the bridge removed the guard while the bridge was empty.
import { readdir } from 'node:fs/promises';
import type { ContainerNetworkApi } from '../../contracts/containers.js';
import type { CniNetwork } from './cni-network.js';
import { installGuard, removeGuard } from './guard.js';
import type { ServiceNet } from './service-net.js';

/** With `names`: bridge containers get the bridge's DNS server and a record for their name. */
export function guardedNetwork(net: CniNetwork, bridge: string, names?: ServiceNet): ContainerNetworkApi {
  return {
    async attach(containerId, opts) {
      if (opts.mode !== 'bridge') return net.attach(containerId, opts);
      await installGuard(bridge);
      const att = await net.attach(containerId, opts);
      try {
        await installGuard(bridge);
        if (names && att.ip && opts.name) await names.addContainer(containerId, opts.name, att.ip);
      } catch (e) {
        await net.detach(containerId, att).catch(() => undefined);
        throw e;
      }
      return names ? { ...att, dns: names.dnsConfig(opts.namespace) } : att;
    },
    prepare: (id) => net.prepare(id),
    async detach(id, att) {
      await names?.removeContainer(id);
      await net.detach(id, att);
    },
    async removeLeftovers(keep) {
      await names?.keepContainers(keep);
      return net.removeLeftovers(keep);
    },
    residue: (id) => net.residue(id),
  };
}

/** Ports on the bridge (any daemon's containers); none when the bridge does not exist. */
export async function bridgePorts(bridge: string): Promise<string[]> {
  return readdir(`/sys/class/net/${bridge}/brif`).catch(() => []);
}

/** On unload: the guard goes with the last container on the bridge (containers outlive the daemon). */
export async function releaseGuard(bridge: string): Promise<'removed' | 'kept' | 'absent'> {
  if ((await bridgePorts(bridge)).length > 0) return 'kept';
  return (await removeGuard(bridge)) ? 'removed' : 'absent';
}
