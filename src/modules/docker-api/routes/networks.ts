// Networks: the three built-in ones (bridge, host, none) and the user-defined bridges of the
// user-networks module (kind llmos.user-networks.v1): list with filters, inspect, create (IPAM
// subnet/gateway, Internal, Labels), remove, prune, connect/disconnect with aliases. Without that
// module (no root) only the built-in ones exist and the rest answers 501.
import type { UserNetworkInfo, UserNetworksApi } from '../../../contracts/user-networks.js';
import { isNotFound } from '../../../kernel/errors.js';
import { jsonBody, qfilters, type Call } from '../call.js';
import { badParameter, DockerError, orNoSuch } from '../errors.js';
import type { DockerDeps } from '../deps.js';
import type { Router } from '../router.js';
import { dockerState } from '../shapes.js';

const builtin = [
  { Name: 'bridge', Driver: 'bridge' },
  { Name: 'host', Driver: 'host' },
  { Name: 'none', Driver: 'null' },
] as const;

const netId = (name: string) => Buffer.from(`llmos-network-${name}`).toString('hex').padEnd(64, '0').slice(0, 64);

const base = { Scope: 'local', EnableIPv6: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {} };

function userShape(n: UserNetworkInfo): Record<string, unknown> {
  const prefix = n.subnet.split('/')[1];
  return {
    Name: n.name,
    Id: n.id,
    Created: n.createdAt,
    Driver: 'bridge',
    ...base,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: n.internal,
    Containers: Object.fromEntries(Object.entries(n.containers).map(([id, e]) => [id, { Name: e.name, EndpointID: '', MacAddress: '', IPv4Address: `${e.ip}/${prefix}`, IPv6Address: '' }])),
    Labels: n.labels,
  };
}

type Obj = Record<string, unknown>;

export function networkRoutes(r: Router, d: DockerDeps): void {
  const users = () => d.networks?.();
  const need = (what: string): UserNetworksApi => {
    const u = users();
    if (!u) throw new DockerError(501, `${what} is not implemented by this LLMOS daemon: user-defined networks need the network module (root, CNI)`);
    return u;
  };
  const builtinShape = async (n: (typeof builtin)[number]) => {
    const ctrs = (await d.containers().list({ all: true })).filter((c) => !c.spec.userNetwork && (c.spec.network ?? 'bridge') === n.Name && dockerState(c) === 'running');
    return {
      Name: n.Name,
      Id: netId(n.Name),
      Created: '0001-01-01T00:00:00Z',
      Driver: n.Driver,
      ...base,
      IPAM: { Driver: 'default', Options: null, Config: [] },
      Internal: false,
      Containers: Object.fromEntries(ctrs.map((c) => [c.id, { Name: c.name, EndpointID: '', MacAddress: '', IPv4Address: c.ip ? `${c.ip}/16` : '', IPv6Address: '' }])),
      Labels: {},
    };
  };
  /** A user network by name, id or unique id prefix; undefined when none. */
  const findUser = async (id: string): Promise<UserNetworkInfo | undefined> => {
    const u = users();
    if (!u) return undefined;
    return u.inspect(id).catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
  };
  const noSuch = (id: string) => new DockerError(404, `network ${id} not found`);

  r.on('GET', '/networks', async (c) => {
    const f = qfilters(c);
    for (const k of Object.keys(f)) if (!['name', 'id', 'label', 'driver', 'type', 'scope'].includes(k)) throw badParameter(`invalid filter '${k}'`);
    const all: Array<Obj & { Name: string; Id: string; Labels: Record<string, string> }> = [...(await Promise.all(builtin.map(builtinShape))), ...((await users()?.list()) ?? []).map((n) => userShape(n) as Obj & { Name: string; Id: string; Labels: Record<string, string> })];
    const label = (n: { Labels: Record<string, string> }, want: string) => {
      const i = want.indexOf('=');
      return i < 0 ? want in n.Labels : n.Labels[want.slice(0, i)] === want.slice(i + 1);
    };
    const out = all.filter(
      (n) =>
        (!f.name?.length || f.name.some((x) => n.Name.includes(x))) &&
        (!f.id?.length || f.id.some((x) => n.Id.startsWith(x))) &&
        (!f.label?.length || f.label.every((x) => label(n, x))) &&
        (!f.driver?.length || f.driver.includes(String(n.Driver))) &&
        (!f.scope?.length || f.scope.includes('local')) &&
        (!f.type?.length || f.type.includes(builtin.some((b) => b.Name === n.Name) ? 'builtin' : 'custom')),
    );
    c.json(200, out);
  });
  r.on('GET', '/networks/(?<id>[^/]+)', async (c) => {
    const id = c.params.id!;
    const b = builtin.find((x) => x.Name === id || (id.length >= 3 && netId(x.Name).startsWith(id)));
    if (b) return c.json(200, await builtinShape(b));
    const n = await findUser(id);
    if (!n) throw noSuch(id);
    c.json(200, userShape(n));
  });
  r.on('POST', '/networks/create', async (c) => {
    const u = need('docker network create');
    const b = ((await jsonBody<Obj>(c)) ?? {}) as Obj;
    const name = typeof b.Name === 'string' ? b.Name : '';
    if (!name) throw badParameter('a network needs a Name');
    if (b.Driver !== undefined && b.Driver !== '' && b.Driver !== 'bridge') throw badParameter(`network driver ${String(b.Driver)} is not supported by LLMOS (bridge only)`);
    if (b.EnableIPv6 === true) throw badParameter('IPv6 networks are not supported by LLMOS');
    if (b.ConfigOnly === true || (b.ConfigFrom && typeof b.ConfigFrom === 'object' && (b.ConfigFrom as Obj).Network)) throw badParameter('config-only networks are not supported by LLMOS');
    if (b.Options && typeof b.Options === 'object' && Object.keys(b.Options).length) throw badParameter(`network driver options (${Object.keys(b.Options).join(', ')}) are not supported by LLMOS`);
    const ipam = (b.IPAM && typeof b.IPAM === 'object' ? b.IPAM : {}) as Obj;
    if (ipam.Driver !== undefined && ipam.Driver !== '' && ipam.Driver !== 'default') throw badParameter(`IPAM driver ${String(ipam.Driver)} is not supported by LLMOS`);
    const configs = Array.isArray(ipam.Config) ? (ipam.Config as Obj[]) : [];
    if (configs.length > 1) throw badParameter('only one IPAM config (one IPv4 subnet) per network is supported by LLMOS');
    const cfg = configs[0] ?? {};
    if (cfg.IPRange || (cfg.AuxiliaryAddresses && Object.keys(cfg.AuxiliaryAddresses as Obj).length)) throw badParameter('--ip-range and --aux-address are not supported by LLMOS');
    if (cfg.Gateway && !cfg.Subnet) throw badParameter('a gateway needs a subnet');
    if (await findUser(name)) throw new DockerError(409, `network with name ${name} already exists`);
    const labels = b.Labels && typeof b.Labels === 'object' ? (b.Labels as Record<string, string>) : {};
    const n = await u.create({ name, ...(typeof cfg.Subnet === 'string' ? { subnet: cfg.Subnet } : {}), ...(typeof cfg.Gateway === 'string' ? { gateway: cfg.Gateway } : {}), ...(b.Internal === true ? { internal: true } : {}), ...(Object.keys(labels).length ? { labels } : {}) });
    c.json(201, { Id: n.id, Warning: '' });
  });
  r.on('POST', '/networks/prune', async (c) => {
    const u = users();
    c.json(200, { NetworksDeleted: u ? await u.prune() : [] });
  });
  const endpointBody = async (c: Call, action: string) => {
    const id = c.params.id!;
    if (builtin.some((x) => x.Name === id)) throw badParameter(`${action} of the built-in network ${id} is not supported by LLMOS: a container's bridge, host or none mode is chosen at create`);
    const n = await findUser(id);
    if (!n) throw noSuch(id);
    const b = ((await jsonBody<Obj>(c)) ?? {}) as Obj;
    if (typeof b.Container !== 'string' || !b.Container) throw badParameter('a Container is required');
    const ctr = await orNoSuch('container', b.Container, () => d.containers().inspect(b.Container as string));
    return { n, b, ctr };
  };
  r.on('POST', '/networks/(?<id>[^/]+)/connect', async (c) => {
    const { n, b, ctr } = await endpointBody(c, 'connect');
    const ep = (b.EndpointConfig && typeof b.EndpointConfig === 'object' ? b.EndpointConfig : {}) as Obj;
    const ipam = ep.IPAMConfig as Obj | null | undefined;
    if (ipam && (ipam.IPv4Address || ipam.IPv6Address)) throw badParameter('--ip is not supported by LLMOS (addresses come from the network)');
    // A container that is not running keeps the connection for its next start, as Docker's does.
    const mode = ctr.spec.network ?? 'bridge';
    if (mode !== 'bridge') throw new DockerError(400, `container ${ctr.name} uses the ${mode} network and cannot be connected to other networks`);
    if (ctr.spec.userNetwork && (await findUser(ctr.spec.userNetwork))?.id === n.id) throw new DockerError(403, `endpoint with name ${ctr.name} already exists in network ${n.name}`);
    const aliases = Array.isArray(ep.Aliases) ? (ep.Aliases as unknown[]).map(String) : [];
    for (const a of aliases) if (!/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$/.test(a)) throw badParameter(`alias ${JSON.stringify(a)} is not a host name`);
    if (n.containers[ctr.id]) throw new DockerError(403, `endpoint with name ${ctr.name} already exists in network ${n.name}`);
    await need('docker network connect').connect(n.id, ctr.id, { name: ctr.name, aliases });
    c.empty(200);
  });
  r.on('POST', '/networks/(?<id>[^/]+)/disconnect', async (c) => {
    const { n, ctr } = await endpointBody(c, 'disconnect');
    await need('docker network disconnect')
      .disconnect(n.id, ctr.id)
      .catch((e) => {
        throw isNotFound(e) ? new DockerError(400, `container ${ctr.name} is not connected to network ${n.name}`) : e;
      });
    c.empty(200);
  });
  r.on('DELETE', '/networks/(?<id>[^/]+)', async (c) => {
    const id = c.params.id!;
    if (builtin.some((x) => x.Name === id)) throw new DockerError(403, `${id} is a pre-defined network and cannot be removed`);
    const n = await findUser(id);
    if (!n) throw noSuch(id);
    const attached = Object.values(n.containers).map((e) => e.name);
    if (attached.length) throw new DockerError(403, `error while removing network: network ${n.name} id ${n.id} has active endpoints (${attached.join(', ')})`);
    await need('docker network rm').remove(n.id);
    c.empty(204);
  });
}
