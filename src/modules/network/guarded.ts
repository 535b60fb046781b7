// The network API as the daemon serves it: the CNI network with the bridge guard (guard.ts) in
// place around every bridge attach, so a container is never on the bridge without it, even when
// another daemon sharing the bridge removed the guard while the bridge was empty.
import { readdir } from 'node:fs/promises';
import type { ContainerNetworkApi } from '../../contracts/containers.js';
import { Unavailable } from '../../kernel/errors.js';
import type { CniNetwork } from './cni-network.js';
import { bumpGuardEpoch, installGuard, removeGuard } from './guard.js';
import type { GuardKeeper } from './guard-keeper.js';
import { installMasq, removeMasq } from './masq.js';
import type { ServiceNet } from './service-net.js';
import type { UserNetworks } from './user-networks.js';

/** With `names`: bridge containers get the bridge's DNS server, and a record for their name with nameOnBridge. */
export function guardedNetwork(net: CniNetwork, guard: GuardKeeper, names?: ServiceNet, users?: UserNetworks): ContainerNetworkApi {
  return {
    async attach(containerId, opts) {
      if (opts.mode !== 'bridge') return net.attach(containerId, opts);
      // A user network instead of the default bridge: its own bridge and DNS (user-networks.ts).
      if (opts.userNetwork) {
        if (!users) throw new Unavailable(`user network ${opts.userNetwork}: user networks need root and the CNI plugins`);
        try {
          const att = await users.attachPrimary(containerId, opts.userNetwork, { name: opts.name, aliases: opts.aliases, ports: opts.ports });
          await users.plugConnections(containerId, opts.name);
          return att;
        } catch (e) {
          await net.detach(containerId).catch(() => undefined);
          throw e;
        }
      }
      // Before (never on the bridge unguarded) and after (a removal by another daemon meanwhile).
      await guard.ensure();
      const att = await net.attach(containerId, opts);
      try {
        await guard.ensure();
        if (names && att.ip && opts.name && opts.nameOnBridge) await names.addContainer(containerId, opts.name, att.ip);
        // Its user-network connections (network connect, kept while it was stopped): eth1...
        await users?.plugConnections(containerId, opts.name);
      } catch (e) {
        await net.detach(containerId, att).catch(() => undefined);
        throw e;
      }
      return names ? { ...att, dns: names.dnsConfig(opts.namespace) } : att;
    },
    prepare: (id, opts) => net.prepare(id, opts),
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

/**
 * On unload: the guard goes with the last container on the bridge (containers outlive the daemon).
 * The epoch moves first, so a daemon sharing the bridge whose attach ends after it checks the guard
 * again (guard-keeper.ts); one whose container joined while we removed is covered by the re-check.
 */
export async function releaseGuard(bridge: string, subnet?: string): Promise<'removed' | 'kept' | 'absent'> {
  await bumpGuardEpoch(bridge);
  if ((await bridgePorts(bridge)).length > 0) return 'kept';
  const removed = await removeGuard(bridge);
  // The shared masquerade goes with it (it is only installed with a subnet, but removed whatever made it).
  const masq = await removeMasq(bridge);
  if ((await bridgePorts(bridge)).length > 0) {
    await installGuard(bridge);
    if (subnet) await installMasq(bridge, subnet);
    return 'kept';
  }
  return removed || masq ? 'removed' : 'absent';
}
