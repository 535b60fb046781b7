// The agents' network map (GET /v1/cluster/agent/network, bearer: the node credential): every
// node's address and pod subnet (the server's too, when it has one) for the host-gw routes, and
// every service with a published port and its endpoints on all nodes for the ports on every node.
import type { FastifyRequest } from 'fastify';
import { clusterKind, type ClusterApi } from '../../../contracts/cluster.js';
import { Kinds } from '../../../contracts/kinds.js';
import { clusterNetworkMapSchema, type ClusterNetworkNode, type ClusterRoutingApi, type ClusterService } from '../../../contracts/network.js';
import type { ServiceStatus } from '../../../contracts/services.js';
import { Unauthenticated } from '../../../kernel/errors.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { bearerToken } from '../server.js';

/** The server's name in the map when it is not registered as a node itself. */
export const SERVER_NODE = 'control-plane';

interface ServicesList {
  list(namespace?: string): Promise<ServiceStatus[]>;
}

/** Every service with a published port, its ready replicas on all nodes as endpoints (a replica without a node runs on the server). */
export function clusterServices(list: readonly ServiceStatus[]): ClusterService[] {
  return list.map((s) => ({
    namespace: s.namespace,
    name: s.name,
    ports: s.endpoints.map((e) => ({ port: e.hostPort, targetPort: e.containerPort, hostPort: e.hostPort })),
    endpoints: s.replicaStatus.filter((r) => r.ready && r.ip).map((r) => ({ node: r.node ?? SERVER_NODE, ip: r.ip! })),
  })).filter((s) => s.ports.length);
}

export function clusterNetworkRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  app.get('/v1/cluster/agent/network', { schema: { summary: 'The network map of the cluster for a node: pod subnets and addresses, service ports and endpoints (bearer: the node credential)', security: [], response: { 200: clusterNetworkMapSchema } } }, async (req: FastifyRequest) => {
    const credential = bearerToken(req.headers.authorization);
    if (!credential) throw new Unauthenticated('missing node credential (Authorization: Bearer <credential from the join>)');
    const cluster = k.getSingle<ClusterApi>(clusterKind);
    const self = await cluster.authenticateNode(credential);
    const nodes: ClusterNetworkNode[] = (await cluster.nodes()).filter((n) => n.podSubnet).map((n) => ({ name: n.name, address: n.address.replace(/^::ffff:/, ''), podSubnet: n.podSubnet }));
    // The server's pods join the pod network when its bridge has a subnet of its own; agents reach it on the address they called.
    const own = k.getOptional<{ clusterRouting?: ClusterRoutingApi }>(Kinds.network)?.clusterRouting?.podSubnet();
    if (own && !nodes.some((n) => n.podSubnet === own)) nodes.push({ name: SERVER_NODE, address: req.socket.localAddress?.replace(/^::ffff:/, '') ?? '', podSubnet: own });
    const svc = k.getOptional<ServicesList>(Kinds.services);
    const services = svc ? clusterServices(await svc.list()) : [];
    return { self, nodes, services };
  });
}
