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
