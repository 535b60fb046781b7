// The network API as the daemon serves it: the CNI network with the bridge guard (guard.ts) in
// place around every bridge attach, so a container is never on the bridge without it, even when
// another daemon sharing the bridge removed the guard while the bridge was empty.
import { readdir } from 'node:fs/promises';
import type { ContainerNetworkApi } from '../../contracts/containers.js';
import type { CniNetwork } from './cni-network.js';
import { installGuard, removeGuard } from './guard.js';

export function guardedNetwork(net: CniNetwork, bridge: string): ContainerNetworkApi {
  return {
    async attach(containerId, opts) {
      if (opts.mode !== 'bridge') return net.attach(containerId, opts);
      await installGuard(bridge);
      const att = await net.attach(containerId, opts);
      try {
        await installGuard(bridge);
      } catch (e) {
        await net.detach(containerId, att).catch(() => undefined);
        throw e;
      }
      return att;
    },
    prepare: (id) => net.prepare(id),
    detach: (id, att) => net.detach(id, att),
    removeLeftovers: (keep) => net.removeLeftovers(keep),
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
