// The agents' watch of the network map (GET /v1/cluster/agent/network/watch, bearer: the node
// credential): a long-poll, as Kubernetes' watch-by-resourceVersion is for kubelets. The agent
// sends the version it holds; the answer comes as soon as its map differs (a node joined or left,
// a replica became ready or went away), or with the same map after waitSeconds. One shared pass
// recomputes the cluster's nodes and services for every waiting agent: at once on a /nodes/,
// /services/ or /cluster/ event, and every second while anyone waits (replica readiness on other
// nodes has no event of its own).
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clusterKind, type ClusterApi } from '../../../contracts/cluster.js';
import { networkWatchAnswerSchema, networkWatchPath, networkWatchQuerySchema, type NetworkWatchAnswer } from '../../../contracts/cluster-watch.js';
import { Kinds } from '../../../contracts/kinds.js';
import type { ClusterNetworkMap, ClusterNetworkNode, ClusterRoutingApi, ClusterService } from '../../../contracts/network.js';
import type { ServiceStatus } from '../../../contracts/services.js';
import { Unauthenticated } from '../../../kernel/errors.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { bearerToken } from '../server.js';
import { clusterServices, SERVER_NODE } from './cluster-network.js';
import type { RouteKernel } from './context.js';
import { CoalescedRun } from '../../../kernel/coalesce.js';

interface Shared {
  nodes: ClusterNetworkNode[];
  services: ClusterService[];
}

interface Waiter {
  self: string;
  localAddress: string;
  since: string;
  answer(a: NetworkWatchAnswer): void;
}

const recheckMs = 1000;

/** The map of one node, as GET /v1/cluster/agent/network answers it (the server itself added when it has a pod subnet). */
function mapFor(shared: Shared, self: string, localAddress: string, own: string | undefined): ClusterNetworkMap {
  const nodes = [...shared.nodes];
  if (own && !nodes.some((n) => n.podSubnet === own)) nodes.push({ name: SERVER_NODE, address: localAddress, podSubnet: own });
  return { self, nodes, services: shared.services };
}

export const mapVersion = (m: ClusterNetworkMap): string => createHash('sha256').update(JSON.stringify(m)).digest('hex').slice(0, 32);

export function clusterNetworkWatchRoutes(app: Api, k: RouteKernel, svc: KernelServices): void {
  const waiters = new Set<Waiter>();
  let timer: NodeJS.Timeout | undefined;

  const shared = async (): Promise<Shared> => {
    const cluster = k.getSingle<ClusterApi>(clusterKind);
    const nodes = (await cluster.nodes()).filter((n) => n.podSubnet).map((n) => ({ name: n.name, address: n.address.replace(/^::ffff:/, ''), podSubnet: n.podSubnet }));
    const list = k.getOptional<{ list(namespace?: string): Promise<ServiceStatus[]> }>(Kinds.services);
    return { nodes, services: list ? clusterServices(await list.list()) : [] };
  };
  const ownSubnet = () => k.getOptional<{ clusterRouting?: ClusterRoutingApi }>(Kinds.network)?.clusterRouting?.podSubnet();

  /** One pass over every waiter; a pass asked for while one runs runs once more after it. */
  const loop = new CoalescedRun(async () => {
    if (!waiters.size) return;
    const s = await shared();
    const own = ownSubnet();
    for (const w of [...waiters]) {
      const map = mapFor(s, w.self, w.localAddress, own);
      const version = mapVersion(map);
      if (version !== w.since) w.answer({ version, map });
    }
  }, (e) => app.log.debug({ err: e }, 'cluster network watch: map not computed'));
  const pass = (): Promise<void> => loop.run().then(schedule);
  const schedule = () => {
    clearTimeout(timer);
    timer = waiters.size ? setTimeout(() => void pass(), recheckMs) : undefined;
    timer?.unref();
  };
  // Subscribed at the first watch (not at registration: the OpenAPI build registers with no kernel).
  let offs: Array<() => void> = [];
  const subscribe = () => {
    if (!offs.length) offs = ['/nodes/', '/services/', '/cluster/'].map((p) => svc.events.subscribe(p, () => void pass()));
  };
  app.addHook('onClose', async () => {
    for (const off of offs) off();
    offs = [];
    clearTimeout(timer);
    for (const w of [...waiters]) waiters.delete(w);
  });

  app.get(networkWatchPath, {
    schema: {
      summary: 'Long-poll of the network map for a node: answers when its map differs from version `since`, or after waitSeconds (bearer: the node credential)',
      security: [],
      querystring: networkWatchQuerySchema,
      response: { 200: networkWatchAnswerSchema },
    },
  }, async (req: FastifyRequest<{ Querystring: { since?: string; waitSeconds?: number } }>, reply: FastifyReply) => {
    const credential = bearerToken(req.headers.authorization);
    if (!credential) throw new Unauthenticated('missing node credential (Authorization: Bearer <credential from the join>)');
    const self = await k.getSingle<ClusterApi>(clusterKind).authenticateNode(credential);
    const localAddress = req.socket.localAddress?.replace(/^::ffff:/, '') ?? '';
    const map = mapFor(await shared(), self, localAddress, ownSubnet());
    const version = mapVersion(map);
    const waitMs = (req.query.waitSeconds ?? 25) * 1000;
    if (version !== req.query.since || waitMs === 0) return { version, map };
    return new Promise<NetworkWatchAnswer>((resolve) => {
      const w: Waiter = {
        self,
        localAddress,
        since: version,
        answer(a) {
          waiters.delete(w);
          clearTimeout(t);
          resolve(a);
        },
      };
      const t = setTimeout(() => w.answer({ version, map }), waitMs);
      waiters.add(w);
      subscribe();
      // An agent that hangs up (it reconnects, or stops) is no longer waited for.
      reply.raw.once('close', () => {
        waiters.delete(w);
        clearTimeout(t);
      });
      if (!timer && !loop.current) schedule();
    });
  });
}
