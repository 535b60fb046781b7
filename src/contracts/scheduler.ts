// What other modules (containers, services, functions) and the CLI use of the scheduler module,
// found with ctx.getSingle<SchedulerApi>(Kinds.scheduler). Types only.
import { z } from 'zod';
import { resourcesSchema, type Resources } from './workloads.js';

/** The resource dimensions the scheduler accounts: CPU millicores, memory bytes, PIDs. */
export interface ResourceVector {
  cpu: number;
  memory: number;
  pids: number;
}

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Toleration {
  /** Empty key with operator Exists tolerates every taint. */
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  /** Empty matches every effect. */
  effect?: TaintEffect;
}

export interface HostPort {
  port: number;
  protocol?: 'tcp' | 'udp';
  hostIp?: string;
}

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** A namespace's quota: sums of requests, as Kubernetes ResourceQuota's requests.cpu / requests.memory. */
export interface Quota {
  /** Millicores. */
  cpu?: number;
  /** Bytes. */
  memory?: number;
  workloads?: number;
}

export interface Usage {
  cpu: number;
  memory: number;
  workloads: number;
}

export interface AdmissionRequest {
  /** The workload id (the same id the owner uses in the workload table and the ledger). */
  id: string;
  namespace?: string;
  requests?: Resources;
  limits?: Resources;
  /** Higher may preempt lower when the node is full. Default 0. */
  priority?: number;
  /** What the workload is, for events: "container/web-1". */
  subject?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  hostPorts?: HostPort[];
  image?: string;
  spreadKey?: string;
}

export interface Admission {
  id: string;
  namespace: string;
  subject?: string;
  node: string;
  qos: QosClass;
  priority: number;
  /** Requests as accounted (a limit without a request counts as the request, as in Kubernetes). */
  requests: ResourceVector;
  limits: Resources;
  admittedAt: string;
  /** Workloads evicted to make room for this one. */
  preempted: Array<{ id: string; namespace: string; priority: number; subject?: string }>;
}

export interface NamespaceInfo {
  name: string;
  createdAt: string;
  quota?: Quota;
  used: Usage;
}

/** Called for each workload preempted; the owner stops it. */
export type PreemptHandler = (victim: Admission, by: Admission) => void | Promise<void>;

/** A cluster node as cross-node placement sees it (from the cluster's node records). */
export interface PlacementNode {
  name: string;
  labels: Record<string, string>;
  taints: Array<{ key: string; value?: string; effect: TaintEffect }>;
  unschedulable: boolean;
  ready: boolean;
  /** CPU millicores, memory bytes. */
  allocatable: { cpu: number; memory: number };
  /** What is allocated there (the agent's report, or more when the caller knows of newer placements). */
  allocated: { cpu: number; memory: number };
  images?: string[];
}

/** Hybrid cloud: nodes matching `prefer` first; the others (or only those matching `burst`) when none of them fits. */
export interface PlacementPreference {
  prefer?: Record<string, string>;
  burst?: Record<string, string>;
}

/**
 * Kubernetes' requiredDuringSchedulingIgnoredDuringExecution: a node qualifies when it matches any
 * term, and matches a term when it matches every expression of it (In, NotIn, Exists,
 * DoesNotExist; Gt and Lt compare the label as an integer). A key without a prefix also matches it
 * under llmos.io/ (as --placement does).
 */
export const nodeSelectorRequirementSchema = z.object({
  key: z.string().min(1).max(317),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: z.array(z.string().max(63)).max(64).optional(),
}).strict();
export const nodeAffinitySchema = z.object({ required: z.array(z.object({ matchExpressions: z.array(nodeSelectorRequirementSchema).min(1).max(32) }).strict()).min(1).max(16) }).strict();
export type NodeSelectorRequirement = z.infer<typeof nodeSelectorRequirementSchema>;
export type NodeAffinity = z.infer<typeof nodeAffinitySchema>;

export interface PlacementRequest {
  id: string;
  requests?: Resources;
  limits?: Resources;
  nodeSelector?: Record<string, string>;
  nodeAffinity?: NodeAffinity;
  tolerations?: Toleration[];
  image?: string;
  /** Replicas of the same service already on each node (spread across nodes, then zones). */
  peers: Record<string, number>;
  preference?: PlacementPreference;
}

export interface PlacementDecision {
  /** The chosen node, or undefined with the reason in message. */
  node?: string;
  message: string;
  /** Whether the node came from the preferred set or the burst set. */
  tier?: 'prefer' | 'burst';
}

export interface SchedulerApi {
  /**
   * Admits a workload onto this node: checks the namespace quota, the node's fit (CPU, memory,
   * PIDs, selector, taints, host ports), may preempt lower-priority workloads, and allocates in the
   * kernel ledger. Synchronous, so check and allocation are atomic. Throws ResourceExhausted with
   * every reason ("needs 512Mi memory, node has 300Mi allocatable free; quota team-a has 100Mi memory left"),
   * NotFound for an unknown namespace. Admitting an id again returns the existing admission.
   */
  admit(req: AdmissionRequest): Admission;
  /** Frees the workload's allocation and quota; a no-op for an unknown id. */
  release(id: string): void;
  get(id: string): Admission | undefined;
  admissions(filter?: { namespace?: string }): Admission[];
  /** Registers the function that stops preempted workloads; returns the unregister function. */
  onPreempt(handler: PreemptHandler): () => void;
  namespaces(): NamespaceInfo[];
  createNamespace(name: string): Promise<NamespaceInfo>;
  removeNamespace(name: string): Promise<void>;
  /** Sets quota fields; a null field removes that limit. */
  setQuota(namespace: string, quota: { [K in keyof Quota]?: number | null }): Promise<NamespaceInfo>;
  /** Chooses a cluster node for one replica (pure: the caller passes the nodes as they are now). */
  placeAcross(nodes: readonly PlacementNode[], req: PlacementRequest): PlacementDecision;
  /** Scale-down order across nodes: a replica with a higher rank goes first (burst/public nodes, cordoned ones, the fullest). */
  evictionRank(node: PlacementNode | undefined, peersOnNode: number, preference?: PlacementPreference): number;
  /** The profile in use and the local node as the scheduler sees it. */
  describe(): { profile: string; node: { name: string; labels: Record<string, string>; allocatable: ResourceVector; requested: ResourceVector; workloads: number } };
}

// ---- Response schemas (the API's answers) ----

const resourceVectorSchema = z.object({ cpu: z.number(), memory: z.number(), pids: z.number() });
export const admissionSchema = z.object({
  id: z.string(),
  namespace: z.string(),
  subject: z.string().optional(),
  node: z.string(),
  qos: z.enum(['Guaranteed', 'Burstable', 'BestEffort']),
  priority: z.number(),
  requests: resourceVectorSchema,
  limits: resourcesSchema,
  admittedAt: z.string(),
  preempted: z.array(z.object({ id: z.string(), namespace: z.string(), priority: z.number(), subject: z.string().optional() })),
});
export const namespaceInfoSchema = z.object({
  name: z.string(),
  createdAt: z.string(),
  quota: z.object({ cpu: z.number().optional(), memory: z.number().optional(), workloads: z.number().optional() }).optional(),
  used: z.object({ cpu: z.number(), memory: z.number(), workloads: z.number() }),
});
export const schedulerDescriptionSchema = z.object({
  profile: z.string(),
  node: z.object({ name: z.string(), labels: z.record(z.string(), z.string()), allocatable: resourceVectorSchema, requested: resourceVectorSchema, workloads: z.number() }),
});
