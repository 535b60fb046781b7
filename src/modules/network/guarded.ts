// The network API as the daemon serves it: the CNI network with the bridge guard (guard.ts) in
// place around every bridge attach, so a container is never on the bridge without it, even when
// another daemon sharing the bridge removed the guard while the bridge was empty.
import { readdir } from 'node:fs/promises';
import type { ContainerNetworkApi } from '../../contracts/containers.js';
import { Unavailable } from '../../kernel/errors.js';
import type { CniNetwork } from './cni-network.js';
import { installGuard, removeGuard } from './guard.js';
import type { ServiceNet } from './service-net.js';
import type { UserNetworks } from './user-networks.js';

/** With `names`: bridge containers get the bridge's DNS server and a record for their name. */
export function guardedNetwork(net: CniNetwork, bridge: string, names?: ServiceNet, users?: UserNetworks): ContainerNetworkApi {
  return {
    async attach(containerId, opts) {
      if (opts.mode !== 'bridge') return net.attach(containerId, opts);
      // A user network instead of the default bridge: its own bridge and DNS (user-networks.ts).
      if (opts.userNetwork) {
        if (!users) throw new Unavailable(`user network ${opts.userNetwork}: user networks need root and the CNI plugins`);
        try {
          return await users.attachPrimary(containerId, opts.userNetwork, { name: opts.name, aliases: opts.aliases, ports: opts.ports });
        } catch (e) {
          await net.detach(containerId).catch(() => undefined);
          throw e;
        }
      }
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
      await users?.detachAll(id);
      await names?.removeContainer(id);
      // A user network's CNI result means nothing to the default bridge's DEL.
      await net.detach(id, att?.userNetwork ? { ...att, cniResult: undefined } : att);
    },
    async removeLeftovers(keep) {
      await users?.keepContainers(keep);
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
