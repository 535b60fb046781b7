// The functions module's cluster side, on a server that nodes have joined (nothing changes on one
// machine): the copies of its functions on the nodes (cluster-mirror.ts), and its image
// functions' instances, which run on nodes the scheduler's cluster placement picks
// (cluster-instance.ts) since the server runs no containers once nodes have joined. It sweeps
// function containers on nodes that no instance here holds (left by a server that crashed).
import type { Logger } from 'pino';
import { clusterKind, type ClusterApi, type NodeView } from '../../contracts/cluster.js';
import { Kinds } from '../../contracts/kinds.js';
import type { ModuleLookup } from '../../kernel/module.js';
import type { SourceBundle } from './source.js';
import type { ContainerInfo } from '../../contracts/containers.js';
import type { InstanceInfo } from '../../contracts/functions.js';
import type { PlacementNode, SchedulerApi } from '../../contracts/scheduler.js';
import { InvalidArgument, ResourceExhausted } from '../../kernel/errors.js';
import { InvocationFailed } from './failures.js';
import { ClusterMirror, type MirroredFunction } from './cluster-mirror.js';
import { RemoteContainerInstance, remoteOwner } from './cluster-instance.js';
import type { FunctionSpec } from './spec.js';

export interface ClusterFunctionsOptions {
  cluster: () => ClusterApi | undefined;
  scheduler: () => SchedulerApi | undefined;
  functions: () => Iterable<MirroredFunction>;
  intervalMs: number;
  log: Logger;
}

const placementNode = (n: NodeView, connected: Set<string>): PlacementNode => ({
  name: n.name,
  labels: n.labels,
  taints: n.taints,
  unschedulable: n.unschedulable,
  ready: n.status === 'Ready' && connected.has(n.name) && n.runtimes.includes('runc'),
  allocatable: n.allocatable,
  allocated: n.allocated,
  images: n.images,
});

export class ClusterFunctions {
  readonly mirror: ClusterMirror;
  /** Remote instances alive or starting, by instance id (= their container's name on the node). */
  private readonly remote = new Map<string, { node: string; fn: string }>();

  constructor(private readonly o: ClusterFunctionsOptions) {
    this.mirror = new ClusterMirror({ cluster: o.cluster, functions: o.functions, intervalMs: o.intervalMs, log: o.log, onNodePass: (n) => this.sweep(n) });
  }

  /**
   * Starts an image function's instance on a node when nodes have joined; undefined on one
   * machine (the caller starts it locally, as before).
   */
  async startImage(spec: FunctionSpec, id: string, env: Record<string, string>, readyTimeoutMs: number): Promise<RemoteContainerInstance | undefined> {
    const cluster = this.o.cluster();
    const views = cluster ? await cluster.nodes() : [];
    if (!cluster || !views.length) return undefined;
    const sched = this.o.scheduler();
    if (!sched) throw new InvocationFailed('start-failed', `function ${spec.name}: placing an image function on a node needs the scheduler module`);
    const connected = new Set(cluster.connectedNodes());
    const peers: Record<string, number> = {};
    for (const r of this.remote.values()) if (r.fn === spec.name) peers[r.node] = (peers[r.node] ?? 0) + 1;
    const d = sched.placeAcross(views.map((v) => placementNode(v, connected)), { id, requests: { cpu: 0, memory: spec.memory }, image: spec.image, peers });
    if (!d.node) throw new InvocationFailed('start-failed', `function ${spec.name}: ${new ResourceExhausted(`no node can run an instance: ${d.message}`).message}`);
    const node = d.node;
    this.remote.set(id, { node, fn: spec.name });
    try {
      const inst = await RemoteContainerInstance.start({ id, functionName: spec.name, image: spec.image!, port: spec.port!, memoryBytes: spec.memory, env, readyTimeoutMs, node, client: () => cluster.nodeClient(node) });
      const dispose = inst.dispose.bind(inst);
      inst.dispose = async (reason) => {
        await dispose(reason);
        this.remote.delete(id);
      };
      return inst;
    } catch (e) {
      this.remote.delete(id);
      throw e;
    }
  }

  /** A function's instances with their nodes: this server's pool (remote ones marked) and the nodes' copies. */
  instances(name: string, local: InstanceInfo[]): InstanceInfo[] {
    const mine = local.map((i) => {
      const r = this.remote.get(i.id);
      return r ? { ...i, node: r.node } : i;
    });
    return [...mine, ...this.mirror.nodeInstances(name)];
  }

  /** Removes function containers on a node that no instance here holds. */
  private async sweep(node: string): Promise<void> {
    const client = this.o.cluster()?.nodeClient(node);
    if (!client) return;
    const { containers } = await client.json<{ containers: ContainerInfo[] }>('GET', '/v1/containers?all=true');
    for (const c of containers) {
      if (!c.owner?.startsWith(remoteOwner(''))) continue;
      if (this.remote.has(c.name)) continue;
      await client.json('DELETE', `/v1/containers/${encodeURIComponent(c.id)}?force=true`).catch(() => undefined);
      this.o.log.info(`functions: removed container ${c.name} on node ${node}: no instance holds it`);
    }
  }
}

/** The module's cluster side, its kinds looked up on each use (they may load and unload). */
export const clusterFunctions = (ctx: ModuleLookup & { log: Logger; config: { clusterSyncMs: number } }, functions: () => Iterable<MirroredFunction>): ClusterFunctions =>
  new ClusterFunctions({ cluster: () => ctx.getOptional<ClusterApi>(clusterKind), scheduler: () => ctx.getOptional<SchedulerApi>(Kinds.scheduler), functions, intervalMs: ctx.config.clusterSyncMs, log: ctx.log });

/** A server's copy arrives bundled already (deploy input `origin`): its one file is the script. */
export function bundledCode(b: SourceBundle): string {
  const code = b.files[b.entry];
  if (code === undefined || Object.keys(b.files).length !== 1) throw new InvalidArgument('a function copy (origin set) carries its bundled code as its one file');
  return code;
}
