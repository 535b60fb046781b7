// User network routes (Docker's `docker network`): create, list, inspect, remove, prune, connect, disconnect.
import { z } from 'zod';
import { Kinds } from '../../../contracts/kinds.js';
import type { ContainersApi } from '../../../contracts/containers.js';
import { userNetworkCreateSchema, userNetworksKind, type UserNetworkCreate, type UserNetworksApi } from '../../../contracts/user-networks.js';
import { AlreadyExists, FailedPrecondition, NotFound, isNotFound } from '../../../kernel/errors.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { noContent } from './sse.js';

const nameParam = z.object({ name: z.string().min(1) });
const endpoint = z.object({ name: z.string(), ip: z.string(), aliases: z.array(z.string()) });
const networkInfo = z.object({
  id: z.string(),
  name: z.string(),
  driver: z.literal('bridge'),
  bridge: z.string(),
  subnet: z.string(),
  gateway: z.string(),
  internal: z.boolean(),
  labels: z.record(z.string(), z.string()),
  createdAt: z.string(),
  containers: z.record(z.string(), endpoint),
  dnsServer: z.string().optional(),
});
const connectBody = z.object({ container: z.string().min(1), aliases: z.array(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$/, 'an alias is a host name')).optional() }).strict();
const disconnectBody = z.object({ container: z.string().min(1) }).strict();

export function networkRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const api = () => k.getSingle<UserNetworksApi>(userNetworksKind);
  const containers = () => k.getSingle<ContainersApi>(Kinds.containers);
  app.get('/v1/networks', { schema: { summary: 'List user-defined networks', response: { 200: z.object({ networks: z.array(networkInfo) }) } } }, async () => ({ networks: await api().list() }));
  app.post('/v1/networks', { schema: { summary: 'Create a user-defined bridge network (its own subnet and DNS)', body: userNetworkCreateSchema, response: { 201: networkInfo } } }, async (req, reply) => reply.code(201).send(await api().create(req.body as UserNetworkCreate)));
  app.post('/v1/networks/prune', { schema: { summary: 'Remove every network no container is attached to', response: { 200: z.object({ removed: z.array(z.string()) }) } } }, async () => ({ removed: await api().prune() }));
  app.get('/v1/networks/:name', { schema: { summary: 'Inspect a network', params: nameParam, response: { 200: networkInfo } } }, async (req) => api().inspect(req.params.name));
  app.delete('/v1/networks/:name', { schema: { summary: 'Remove a network (refused while containers are attached)', params: nameParam, response: { 204: z.null() } } }, async (req, reply) => {
    await api().remove(req.params.name);
    return noContent(reply);
  });
  app.post('/v1/networks/:name/connect', { schema: { summary: 'Connect a container to a network (its name and aliases resolve there; a stopped one is plugged at its next start)', params: nameParam, body: connectBody, response: { 200: networkInfo } } }, async (req) => {
    const body = req.body as z.infer<typeof connectBody>;
    const net = await api().inspect(req.params.name);
    const c = await containers().inspect(body.container);
    // A stopped or created container keeps the connection for its next start, as in Docker.
    const mode = c.spec.network ?? 'bridge';
    if (mode !== 'bridge') throw new FailedPrecondition(`container ${c.name} uses the ${mode} network: it cannot be connected to other networks`);
    if (c.spec.userNetwork && (await api().inspect(c.spec.userNetwork).catch(() => undefined))?.id === net.id) throw new AlreadyExists(`container ${c.name} is already connected to network ${net.name}`);
    await api().connect(net.id, c.id, { name: c.name, aliases: body.aliases });
    return api().inspect(net.id);
  });
  app.post('/v1/networks/:name/disconnect', { schema: { summary: 'Disconnect a container from a network', params: nameParam, body: disconnectBody, response: { 200: networkInfo } } }, async (req) => {
    const body = req.body as z.infer<typeof disconnectBody>;
    const net = await api().inspect(req.params.name);
    const c = await containers().inspect(body.container);
    await api().disconnect(net.id, c.id).catch((e) => {
      throw isNotFound(e) ? new NotFound(`container ${c.name} is not connected to network ${net.name}`, { cause: e }) : e;
    });
    return api().inspect(net.id);
  });
}
