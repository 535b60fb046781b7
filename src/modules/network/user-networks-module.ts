// Registration of user-defined networks under their own kind (llmos.user-networks.v1), for the REST
// and Docker APIs. They live inside the network module (a container's attach picks its network
// there); this module only re-provides that part, and is skipped when the network module has none.
import { Kinds } from '../../contracts/kinds.js';
import { userNetworksKind, type UserNetworksApi } from '../../contracts/user-networks.js';
import { SkipModule } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import type { NetworkApi } from './module.js';

export const userNetworksModule = (): ModuleDef<Record<string, never>, UserNetworksApi> => ({
  kind: userNetworksKind,
  id: 'cni',
  description: 'user-defined bridge networks with DNS (docker network create|ls|rm|connect)',
  requires: [Kinds.network],
  defaults: {},
  init(ctx) {
    const u = ctx.getSingle<NetworkApi>(Kinds.network).userNetworks;
    if (!u) throw new SkipModule('the network module has no user networks');
    return u;
  },
});
