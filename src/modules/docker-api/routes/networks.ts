// Networks as far as this build has them: the three built-in networks (bridge, host, none) can be
// listed and inspected; creating, removing, connecting and pruning answer 501 (no user networks).
import { DockerError } from '../errors.js';
import type { DockerDeps } from '../deps.js';
import type { Router } from '../router.js';
import { dockerState } from '../shapes.js';

const builtin = [
  { Name: 'bridge', Driver: 'bridge' },
  { Name: 'host', Driver: 'host' },
  { Name: 'none', Driver: 'null' },
] as const;

const netId = (name: string) => Buffer.from(`llmos-network-${name}`).toString('hex').padEnd(64, '0').slice(0, 64);

const notHere = (what: string) => async () => {
  throw new DockerError(501, `${what} is not implemented by LLMOS: user-defined networks are not in this build`);
};

export function networkRoutes(r: Router, d: DockerDeps): void {
  const network = async (n: (typeof builtin)[number]) => {
    const ctrs = (await d.containers().list({ all: true })).filter((c) => (c.spec.network ?? 'bridge') === n.Name && dockerState(c) === 'running');
    return {
      Name: n.Name,
      Id: netId(n.Name),
      Created: '0001-01-01T00:00:00Z',
      Scope: 'local',
      Driver: n.Driver,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: Object.fromEntries(ctrs.map((c) => [c.id, { Name: c.name, EndpointID: '', MacAddress: '', IPv4Address: c.ip ? `${c.ip}/16` : '', IPv6Address: '' }])),
      Options: {},
      Labels: {},
    };
  };
  r.on('GET', '/networks', async (c) => c.json(200, await Promise.all(builtin.map(network))));
  r.on('GET', '/networks/(?<id>[^/]+)', async (c) => {
    const id = c.params.id!;
    const n = builtin.find((b) => b.Name === id || (id.length >= 3 && netId(b.Name).startsWith(id)));
    if (!n) throw new DockerError(404, `network ${id} not found`);
    c.json(200, await network(n));
  });
  r.on('POST', '/networks/create', notHere('docker network create'));
  r.on('POST', '/networks/prune', notHere('docker network prune'));
  r.on('POST', '/networks/(?<id>[^/]+)/(connect|disconnect)', notHere('docker network connect/disconnect'));
  r.on('DELETE', '/networks/(?<id>[^/]+)', notHere('docker network rm'));

}
