// Where a service's replicas run. On one machine: the local containers runtime, exactly as
// before. When agents have joined (cluster mode): on the nodes the scheduler chooses, through
// each node's client (its agent's tunnel); the server keeps the control plane. Each pass lists
// the replicas of every node; a node whose tunnel is down keeps its last listed replicas (a blip
// must not double them), also once NotReady, until each service's toleration of an unreachable
// node has passed (eviction.ts): then they are replaced elsewhere.
// Replicas on a node carry the owner `cluster/service/NAME` there, so the agent's own services
// controller does not take them for orphans of a service it does not know.
import type { Logger } from 'pino';
import type { ClusterApi, NodeClient, NodeView } from '../../contracts/cluster.js';
import type { ContainerInfo, ContainerSpec, ContainersApi } from '../../contracts/containers.js';
import type { NodeAffinity, PlacementNode, PlacementPreference, SchedulerApi } from '../../contracts/scheduler.js';
import type { ServiceRecord } from '../../contracts/services.js';
import { ResourceExhausted, Unavailable } from '../../kernel/errors.js';
import type { ReplicaView } from './plan.js';
import { moveCandidate, requestsOf } from './cluster-moves.js';
import { Evictions, type EvictionOptions } from './eviction.js';

const remoteOwnerPrefix = 'cluster/';

/** Replicas of one service on each node (placement spreads them). */
export function peersByNode(infos: Iterable<PlacedInfo>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of infos) if (c.node) out[c.node] = (out[c.node] ?? 0) + 1;
  return out;
}

export interface ClusterReplicasOptions {
  local: () => ContainersApi;
  cluster: () => ClusterApi | undefined;
  scheduler: () => SchedulerApi | undefined;
  log: Logger;
  /** Events of the evictions (issue 20). */
  publish?: EvictionOptions['publish'];
}

export type ReplicaOps = Pick<ContainersApi, 'stop' | 'remove' | 'exec'>;

/** A replica container as the controller sees it: `node` set when it runs on a cluster node. */
export type PlacedInfo = ContainerInfo & { node?: string };

export class ClusterReplicas {
  private nodes: NodeView[] = [];
  private readonly cache = new Map<string, PlacedInfo[]>();
  private readonly where = new Map<string, string>();
  /** Requests placed on each node since its last report (reports lag by up to a lease interval). */
  private readonly pending = new Map<string, Array<{ cpu: number; memory: number; at: string }>>();
  /** Per service (NS/NAME): the replica being moved from a burst node to a preferred one, until it is gone. */
  private readonly moving = new Map<string, string>();

  private readonly evictions: Evictions;

  constructor(private readonly o: ClusterReplicasOptions) {
    this.evictions = new Evictions({ cluster: o.cluster, log: o.log, now: Date.now, publish: o.publish ?? (() => undefined) });
  }

  /** The listed replicas less those replaced on other nodes; evicts those of NotReady nodes past their service's toleration. */
  withoutReplaced(all: readonly PlacedInfo[], records: readonly ServiceRecord[]): Promise<PlacedInfo[]> {
    return this.evictions.filter(all, records, this.nodes);
  }

  /** Cluster mode: at least one node has joined. */
  active(): boolean {
    return this.nodes.length > 0;
  }

  nodeViews(): readonly NodeView[] {
    return this.nodes;
  }

  /** Every replica-capable container: local ones, then each node's (owner mapped back to service/NAME). */
  async list(): Promise<PlacedInfo[]> {
    const cluster = this.o.cluster();
    this.nodes = cluster ? await cluster.nodes().catch((e) => (this.o.log.warn({ err: e }, 'services: cannot list cluster nodes'), this.nodes)) : [];
    const local = await this.o.local().list({ all: true });
    const remote = await Promise.all(this.nodes.map(async (n) => {
      if (!n.connected) return this.cache.get(n.name) ?? [];
      try {
        const { containers } = await cluster!.nodeClient(n.name).json<{ containers: ContainerInfo[] }>('GET', '/v1/containers?all=true');
        const mine = containers.filter((c) => c.owner?.startsWith(remoteOwnerPrefix)).map((c) => ({ ...c, owner: c.owner!.slice(remoteOwnerPrefix.length), node: n.name }));
        this.cache.set(n.name, mine);
        // A report newer than a placement includes it.
        this.pending.set(n.name, (this.pending.get(n.name) ?? []).filter((p) => p.at > (n.lastHeartbeat ?? '')));
        return mine;
      } catch (e) {
        this.o.log.debug({ err: e }, `services: cannot list the containers of node ${n.name}`);
        return this.cache.get(n.name) ?? [];
      }
    }));
    for (const n of [...this.cache.keys()]) if (!this.nodes.some((v) => v.name === n)) this.cache.delete(n);
    this.where.clear();
    const all: PlacedInfo[] = [...local];
    for (const list of remote) for (const c of list) {
      this.where.set(c.id, c.node!);
      all.push(c);
    }
    return all;
  }

  /** Nodes as placement sees them, with what this controller placed since their last report. */
  placementNodes(): PlacementNode[] {
    return this.nodes.map((n) => {
      const extra = (this.pending.get(n.name) ?? []).reduce((a, p) => ({ cpu: a.cpu + p.cpu, memory: a.memory + p.memory }), { cpu: 0, memory: 0 });
      return {
        name: n.name,
        labels: n.labels,
        taints: n.taints,
        unschedulable: n.unschedulable,
        ready: n.status === 'Ready' && !!n.connected,
        allocatable: n.allocatable,
        allocated: { cpu: n.allocated.cpu + extra.cpu, memory: n.allocated.memory + extra.memory },
        images: n.images,
      };
    });
  }

  /** Starts a replica: locally on one machine, else on the node the scheduler picks. */
  async run(spec: ContainerSpec, peers: Record<string, number>, preference?: PlacementPreference, nodeAffinity?: NodeAffinity): Promise<PlacedInfo> {
    if (!this.active()) return this.o.local().run(spec);
    const sched = this.o.scheduler();
    const cluster = this.o.cluster();
    if (!sched || !cluster) throw new Unavailable('cluster placement needs the scheduler and cluster modules');
    const requests = requestsOf(spec);
    const d = sched.placeAcross(this.placementNodes(), { id: spec.name ?? 'replica', requests, image: spec.image, peers, ...(preference ? { preference } : {}), ...(nodeAffinity ? { nodeAffinity } : {}) });
    if (!d.node) throw new ResourceExhausted(`no node for ${spec.name}: ${d.message}`);
    const info = await cluster.nodeClient(d.node).json<ContainerInfo>('POST', '/v1/containers/run', { ...spec, owner: `${remoteOwnerPrefix}${spec.owner ?? ''}` });
    this.pending.set(d.node, [...(this.pending.get(d.node) ?? []), { ...requests, at: new Date().toISOString() }]);
    this.where.set(info.id, d.node);
    return { ...info, owner: spec.owner, node: d.node };
  }

  nodeOf(id: string): string | undefined {
    return this.where.get(id);
  }

  private client(id: string): NodeClient | undefined {
    const node = this.where.get(id);
    return node ? this.o.cluster()?.nodeClient(node) : undefined;
  }

  /** stop, remove and exec of a replica wherever it runs. */
  readonly ops: ReplicaOps = {
    stop: async (id, opts) => {
      const c = this.client(id);
      if (!c) return this.o.local().stop(id, opts);
      return c.json<ContainerInfo>('POST', `/v1/containers/${encodeURIComponent(id)}/stop${opts?.timeoutSeconds !== undefined ? `?timeout=${opts.timeoutSeconds}` : ''}`);
    },
    remove: async (id, opts) => {
      const c = this.client(id);
      if (!c) return this.o.local().remove(id, opts);
      await c.json('DELETE', `/v1/containers/${encodeURIComponent(id)}${opts?.force ? '?force=true' : ''}`);
    },
    exec: async (id, cmd, opts) => {
      const c = this.client(id);
      if (!c) return this.o.local().exec(id, cmd, opts);
      return c.json('POST', `/v1/containers/${encodeURIComponent(id)}/exec`, { cmd, ...(opts?.env ? { env: opts.env } : {}), ...(opts?.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
    },
  };

  /** How a probe reaches a remote replica's address: a connection made from its node. */
  dialer(id: string): ((host: string, port: number) => Promise<NodeJS.ReadWriteStream>) | undefined {
    const node = this.where.get(id);
    const cluster = this.o.cluster();
    // Looked up at dial time, as a rejection: a node whose tunnel is down must fail the probe, not
    // throw out of the probe tick (that left the probe marked running, the replica ready for good).
    return node && cluster ? async (host, port) => cluster.nodeClient(node).dial(host, port) : undefined;
  }

  /** Scale-down order (higher first) of the replicas of one service. */
  rank(replicas: readonly PlacedInfo[], preference?: PlacementPreference): Map<string, number> {
    const sched = this.o.scheduler();
    const out = new Map<string, number>();
    if (!this.active() || !sched) return out;
    const nodes = new Map(this.placementNodes().map((n) => [n.name, n]));
    const per = new Map<string, number>();
    for (const r of replicas) if (r.node) per.set(r.node, (per.get(r.node) ?? 0) + 1);
    for (const r of replicas) out.set(r.id, r.node ? sched.evictionRank(nodes.get(r.node), per.get(r.node) ?? 0, preference) : 0);
    return out;
  }

  /**
   * The plan's views in cluster mode: scale-down ranks (gone, off-placement, burst, cordoned and the
   * fullest nodes first), and a draining node's replicas as an old template's, so the plan moves
   * them with its surge. A settled service with a replica off its preferred nodes while a
   * preferred node has room gets that replica moved back the same way, one at a time.
   */
  decorate(views: ReplicaView[], infos: readonly PlacedInfo[], rec?: ServiceRecord): ReplicaView[] {
    if (!this.active()) return views;
    const preference = rec?.spec.placement;
    const ranks = this.rank(infos, preference);
    const draining = new Set(this.nodes.filter((n) => n.draining).map((n) => n.name));
    const move = rec ? this.moveOf(rec, views, infos, ranks) : undefined;
    return views.map((v, i) => {
      const node = infos[i]?.node;
      const moved = (node && draining.has(node)) || v.id === move;
      return { ...v, ...(ranks.get(v.id) ? { evictionRank: ranks.get(v.id) } : {}), ...(moved ? { hash: `${v.hash}/${v.id === move ? 'move' : 'drain'}` } : {}) };
    });
  }

  /** The replica of this service being moved to a preferred node (kept until it is gone), if any. */
  private moveOf(rec: ServiceRecord, views: readonly ReplicaView[], infos: readonly PlacedInfo[], ranks: ReadonlyMap<string, number>): string | undefined {
    const key = `${rec.namespace}/${rec.name}`;
    const current = this.moving.get(key);
    if (current && views.some((v) => v.id === current)) return current;
    this.moving.delete(key);
    const sched = this.o.scheduler();
    if (!sched) return undefined;
    const id = moveCandidate({ rec, views, infos, peers: peersByNode(infos), ranks, draining: this.nodes.filter((n) => n.draining).map((n) => n.name), place: (peers) => sched.placeAcross(this.placementNodes(), { id: `${rec.name}-move`, requests: requestsOf(rec.spec.template), image: rec.spec.template.image, peers, ...(rec.spec.placement ? { preference: rec.spec.placement } : {}), ...(rec.spec.nodeAffinity ? { nodeAffinity: rec.spec.nodeAffinity } : {}) }) });
    if (id) {
      this.moving.set(key, id);
      this.o.log.info({ service: key, replica: id }, 'services: moving a replica from a burst node to a preferred node with room');
    }
    return id;
  }
}
