// An in-process fake of the user-networks contract (kind llmos.user-networks.v1) for the API's
// route tests: the real one (network/user-networks.ts) needs root, CNI and dnsmasq, and runs in
// test/networks and test/docker. It keeps networks in memory and hands out 10.90.N.0/24 in order.
import { randomBytes } from 'node:crypto';
import { userNetworkCreateSchema, userNetworksKind, type UserNetworkInfo, type UserNetworksApi } from '../../src/contracts/user-networks.js';
import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound } from '../../src/kernel/errors.js';
import type { ModuleDef } from '../../src/kernel/module.js';

export function fakeNetworks(): UserNetworksApi {
  const nets = new Map<string, UserNetworkInfo>();
  let next = 0;
  const find = (n: string): UserNetworkInfo => {
    for (const v of nets.values()) if (v.name === n || v.id === n) return v;
    throw new NotFound(`network ${n} not found`);
  };
  return {
    async create(req) {
      const p = userNetworkCreateSchema.safeParse(req);
      if (!p.success) throw new InvalidArgument(p.error.issues[0]!.message);
      if ([...nets.values()].some((v) => v.name === req.name)) throw new AlreadyExists(`network with name ${req.name} already exists`);
      const subnet = req.subnet ?? `10.90.${next++}.0/24`;
      const n: UserNetworkInfo = { id: randomBytes(32).toString('hex'), name: req.name, driver: 'bridge', bridge: `llmosu${next}`, subnet, gateway: req.gateway ?? subnet.replace(/0\/\d+$/, '1'), internal: !!req.internal, labels: req.labels ?? {}, createdAt: new Date().toISOString(), containers: {} };
      nets.set(n.id, n);
      return n;
    },
    list: async () => [...nets.values()],
    inspect: async (n) => find(n),
    async remove(n) {
      const v = find(n);
      if (Object.keys(v.containers).length) throw new FailedPrecondition(`network ${v.name} has active endpoints`);
      nets.delete(v.id);
    },
    async prune() {
      const out: string[] = [];
      for (const v of [...nets.values()]) {
        if (Object.keys(v.containers).length) continue;
        nets.delete(v.id);
        out.push(v.name);
      }
      return out;
    },
    async connect(n, id, o) {
      const v = find(n);
      if (v.containers[id]) throw new AlreadyExists(`container ${o.name} is already connected to network ${v.name}`);
      v.containers[id] = { name: o.name, ip: v.subnet.replace(/0\/\d+$/, String(2 + Object.keys(v.containers).length)), aliases: o.aliases ?? [] };
      return { mode: 'bridge', ip: v.containers[id].ip, ports: [] };
    },
    async disconnect(n, id) {
      const v = find(n);
      if (!v.containers[id]) throw new NotFound(`container ${id} is not connected to network ${v.name}`);
      delete v.containers[id];
    },
    async renamed() {},
  };
}

export const fakeNetworksModule = (api = fakeNetworks()): ModuleDef<unknown, UserNetworksApi> => ({
  kind: userNetworksKind,
  id: 'fake',
  description: 'in-memory fake of the user-networks contract (tests)',
  init: () => api,
});
