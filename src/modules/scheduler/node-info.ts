// The scheduler's view of the cluster, kept incrementally: each NodeInfo carries running sums
// of what its workloads request, its used host ports and its images; the Cluster keeps counts
// across nodes (image spread, workloads per zone per spread key). Placing or removing a
// workload updates these in O(ports) time, so a scheduling cycle never re-adds everything.
import { AlreadyExists, InvalidArgument, NotFound } from '../../kernel/errors.js';
import { effectiveRequests, qosClass } from '../../policies/qos.js';
import { LabelZone, type HostPort, type NodeSpec, type QosClass, type ResourceVector, type Taint, type WorkloadRequest } from './types.js';

/** Scoring counts a workload that requests nothing as this much, as kube-scheduler does (util/pod_resources.go). */
export const DefaultMilliCpuRequest = 100;
export const DefaultMemoryRequest = 200 * 2 ** 20;

/** A workload as the scheduler holds it: requests resolved, QoS derived, ports normalised. */
export interface PodInfo {
  readonly id: string;
  readonly namespace: string;
  readonly requested: ResourceVector;
  /** CPU and memory requests with the non-zero defaults, for scoring only. */
  readonly nonZeroCpu: number;
  readonly nonZeroMemory: number;
  readonly priority: number;
  readonly qos: QosClass;
  readonly limits: Readonly<Partial<ResourceVector>>;
  readonly hostPorts: readonly Required<HostPort>[];
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly nodeAffinity?: WorkloadRequest['nodeAffinity'];
  readonly tolerations: NonNullable<WorkloadRequest['tolerations']>;
  readonly image?: string;
  readonly spreadKey?: string;
}

export function podInfo(w: WorkloadRequest): PodInfo {
  if (!w.id) throw new InvalidArgument('workload request has no id');
  for (const [k, v] of Object.entries({ ...w.requests, ...w.limits }))
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidArgument(`workload ${w.id}: ${k} must be a non-negative number, got ${String(v)}`);
  const requested = effectiveRequests(w.requests, w.limits);
  return {
    id: w.id,
    namespace: w.namespace || 'default',
    requested,
    nonZeroCpu: requested.cpu || DefaultMilliCpuRequest,
    nonZeroMemory: requested.memory || DefaultMemoryRequest,
    priority: w.priority ?? 0,
    qos: qosClass(w.requests, w.limits),
    limits: { ...w.limits },
    hostPorts: (w.hostPorts ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? 'tcp', hostIp: p.hostIp || '0.0.0.0' })),
    nodeSelector: w.nodeSelector,
    ...(w.nodeAffinity ? { nodeAffinity: w.nodeAffinity } : {}),
    tolerations: w.tolerations ?? [],
    image: w.image,
    spreadKey: w.spreadKey,
  };
}

const portKey = (p: Required<HostPort>): string => `${p.protocol}/${p.port}`;

export class NodeInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /** The zone label, or "" when the node has none. */
  readonly zone: string;
  readonly capacity: ResourceVector;
  readonly allocatable: ResourceVector;
  readonly images: ReadonlyMap<string, number>;
  /** Sum of the requests of the workloads placed here. */
  readonly requested: ResourceVector = { cpu: 0, memory: 0, pids: 0 };
  nonZeroCpu = 0;
  nonZeroMemory = 0;
  // Flat copies for the per-node hot path (filters and scores read these without following
  // pointers to the vectors above; at 5,000 nodes a cycle is bound by memory access).
  /** allocatable - requested, kept by addPod/removePod. */
  freeCpu: number;
  freeMemory: number;
  freePids: number;
  readonly allocCpu: number;
  readonly allocMemory: number;
  readonly taintCount: number;
  readonly pods = new Map<string, PodInfo>();
  /** "tcp/80" → host IPs bound (with multiplicity). */
  readonly usedPorts = new Map<string, string[]>();

  constructor(spec: NodeSpec) {
    if (!spec.name) throw new InvalidArgument('node has no name');
    this.name = spec.name;
    this.labels = Object.freeze({ ...spec.labels });
    this.taints = Object.freeze([...(spec.taints ?? [])]);
    this.zone = this.labels[LabelZone] ?? '';
    this.capacity = { ...spec.capacity };
    const r = spec.reserved ?? {};
    this.allocatable = { cpu: spec.capacity.cpu - (r.cpu ?? 0), memory: spec.capacity.memory - (r.memory ?? 0), pids: spec.capacity.pids - (r.pids ?? 0) };
    this.images = new Map(Object.entries(spec.images ?? {}));
    this.freeCpu = this.allocCpu = this.allocatable.cpu;
    this.freeMemory = this.allocMemory = this.allocatable.memory;
    this.freePids = this.allocatable.pids;
    this.taintCount = this.taints.length;
  }

  /** Allocatable minus requested, per dimension (may be negative after a capacity change). */
  free(): ResourceVector {
    return { cpu: this.freeCpu, memory: this.freeMemory, pids: this.freePids };
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.id)) throw new AlreadyExists(`workload ${p.id} is already on node ${this.name}`);
    this.pods.set(p.id, p);
    this.requested.cpu += p.requested.cpu;
    this.requested.memory += p.requested.memory;
    this.requested.pids += p.requested.pids;
    this.freeCpu -= p.requested.cpu;
    this.freeMemory -= p.requested.memory;
    this.freePids -= p.requested.pids;
    this.nonZeroCpu += p.nonZeroCpu;
    this.nonZeroMemory += p.nonZeroMemory;
    for (const hp of p.hostPorts) {
      const k = portKey(hp);
      const ips = this.usedPorts.get(k);
      if (ips) ips.push(hp.hostIp);
      else this.usedPorts.set(k, [hp.hostIp]);
    }
  }

  removePod(id: string): PodInfo | undefined {
    const p = this.pods.get(id);
    if (!p) return undefined;
    this.pods.delete(id);
    this.requested.cpu -= p.requested.cpu;
    this.requested.memory -= p.requested.memory;
    this.requested.pids -= p.requested.pids;
    this.freeCpu += p.requested.cpu;
    this.freeMemory += p.requested.memory;
    this.freePids += p.requested.pids;
    this.nonZeroCpu -= p.nonZeroCpu;
    this.nonZeroMemory -= p.nonZeroMemory;
    for (const hp of p.hostPorts) {
      const k = portKey(hp);
      const ips = this.usedPorts.get(k)!;
      ips.splice(ips.indexOf(hp.hostIp), 1);
      if (!ips.length) this.usedPorts.delete(k);
    }
    return p;
  }

  /** A copy that can be changed without touching this one (preemption's what-if). */
  clone(): NodeInfo {
    const reserved = { cpu: this.capacity.cpu - this.allocatable.cpu, memory: this.capacity.memory - this.allocatable.memory, pids: this.capacity.pids - this.allocatable.pids };
    const c = new NodeInfo({ name: this.name, capacity: this.capacity, reserved, labels: { ...this.labels }, taints: [...this.taints], images: Object.fromEntries(this.images) });
    for (const p of this.pods.values()) c.addPod(p);
    return c;
  }

  /** Whether a host port conflicts with one in use: same protocol and port, and either side binds 0.0.0.0 or both bind the same IP. */
  portConflict(hp: Required<HostPort>): boolean {
    const ips = this.usedPorts.get(portKey(hp));
    if (!ips || !ips.length) return false;
    return hp.hostIp === '0.0.0.0' || ips.includes('0.0.0.0') || ips.includes(hp.hostIp);
  }
}

/**
 * The whole cluster as the scheduler sees it. Scheduling reads it (a snapshot within one cycle);
 * assume()/forget() apply a decision and keep every aggregate current.
 */
export class Cluster {
  readonly nodes: NodeInfo[] = [];
  private readonly byName = new Map<string, NodeInfo>();
  private readonly podNode = new Map<string, NodeInfo>();
  /** Image → the nodes holding it, with its size there (image locality scales by the spread). */
  private readonly imageHolders = new Map<string, Map<NodeInfo, number>>();
  /** Spread key → zone → workloads with that key in that zone. */
  readonly spread = new Map<string, Map<string, number>>();
  /** Zone → number of nodes in it. */
  readonly zones = new Map<string, number>();
  /** "key=value" → nodes carrying that label, so a node selector narrows the search before filtering. */
  private readonly byLabel = new Map<string, NodeInfo[]>();

  constructor(nodes: NodeSpec[] = []) {
    for (const n of nodes) this.addNode(n);
  }

  get size(): number {
    return this.nodes.length;
  }

  addNode(spec: NodeSpec): NodeInfo {
    if (this.byName.has(spec.name)) throw new AlreadyExists(`node ${spec.name} already exists`);
    const n = new NodeInfo(spec);
    this.nodes.push(n);
    this.byName.set(n.name, n);
    for (const [img, size] of n.images) {
      let m = this.imageHolders.get(img);
      if (!m) this.imageHolders.set(img, (m = new Map()));
      m.set(n, size);
    }
    if (n.zone) this.zones.set(n.zone, (this.zones.get(n.zone) ?? 0) + 1);
    for (const k in n.labels) {
      const key = `${k}=${n.labels[k]}`;
      const list = this.byLabel.get(key);
      if (list) list.push(n);
      else this.byLabel.set(key, [n]);
    }
    return n;
  }

  /** The nodes that hold an image, with its size on each (a live map: do not change it). */
  imageNodes(image: string): ReadonlyMap<NodeInfo, number> | undefined {
    return this.imageHolders.get(image);
  }

  /** Nodes carrying label key=value (a live list: do not change it). */
  nodesWithLabel(key: string, value: string): readonly NodeInfo[] {
    return this.byLabel.get(`${key}=${value}`) ?? [];
  }

  removeNode(name: string): PodInfo[] {
    const n = this.node(name);
    const pods = [...n.pods.values()];
    for (const p of pods) this.forget(p.id);
    this.nodes.splice(this.nodes.indexOf(n), 1);
    this.byName.delete(name);
    for (const img of n.images.keys()) {
      const m = this.imageHolders.get(img)!;
      m.delete(n);
      if (!m.size) this.imageHolders.delete(img);
    }
    if (n.zone) this.zones.set(n.zone, this.zones.get(n.zone)! - 1);
    for (const k in n.labels) {
      const key = `${k}=${n.labels[k]}`;
      const list = this.byLabel.get(key)!;
      list.splice(list.indexOf(n), 1);
      if (!list.length) this.byLabel.delete(key);
    }
    return pods;
  }

  node(name: string): NodeInfo {
    const n = this.byName.get(name);
    if (!n) throw new NotFound(`node ${name} not found`);
    return n;
  }

  nodeOf(podId: string): NodeInfo | undefined {
    return this.podNode.get(podId);
  }

  pod(podId: string): PodInfo | undefined {
    return this.podNode.get(podId)?.pods.get(podId);
  }

  /** Places a workload on a node (the result of a scheduling decision, or a re-adoption). */
  assume(p: PodInfo, nodeName: string): void {
    if (this.podNode.has(p.id)) throw new AlreadyExists(`workload ${p.id} is already placed on ${this.podNode.get(p.id)!.name}`);
    const n = this.node(nodeName);
    n.addPod(p);
    this.podNode.set(p.id, n);
    if (p.spreadKey && n.zone) {
      let m = this.spread.get(p.spreadKey);
      if (!m) this.spread.set(p.spreadKey, (m = new Map()));
      m.set(n.zone, (m.get(n.zone) ?? 0) + 1);
    }
  }

  /** Removes a workload wherever it is; returns it, or undefined when it was not placed. */
  forget(podId: string): PodInfo | undefined {
    const n = this.podNode.get(podId);
    if (!n) return undefined;
    const p = n.removePod(podId)!;
    this.podNode.delete(podId);
    if (p.spreadKey && n.zone) {
      const m = this.spread.get(p.spreadKey)!;
      const c = m.get(n.zone)! - 1;
      if (c) m.set(n.zone, c);
      else m.delete(n.zone);
      if (!m.size) this.spread.delete(p.spreadKey);
    }
    return p;
  }

  podCount(): number {
    return this.podNode.size;
  }
}
