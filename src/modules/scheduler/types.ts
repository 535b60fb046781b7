// The scheduler's data model: nodes (capacity, reserved, labels, taints, images) and the
// workloads placed on them (requests, limits, priority, placement constraints).
import type { HostPort, NodeAffinity, ResourceVector, TaintEffect, Toleration } from '../../contracts/scheduler.js';
import type { Resources } from '../../contracts/workloads.js';

export type { HostPort, QosClass, ResourceVector, TaintEffect, Toleration } from '../../contracts/scheduler.js';

export const resourceNames = ['cpu', 'memory', 'pids'] as const;
export type ResourceName = (typeof resourceNames)[number];

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

/** Well-known node labels. `role` is edge or cloud; custom labels are free-form. */
export const LabelZone = 'zone';
export const LabelRole = 'role';

export interface NodeSpec {
  name: string;
  capacity: ResourceVector;
  /** Held back for the system and LLMOS itself; allocatable = capacity - reserved. */
  reserved?: Partial<ResourceVector>;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Images present on the node, by reference, with their size in bytes. */
  images?: Record<string, number>;
}

/** What a workload asks of the scheduler. */
export interface WorkloadRequest {
  id: string;
  namespace?: string;
  requests?: Resources;
  limits?: Resources;
  /** Higher wins; may preempt lower-priority workloads when nothing fits. Default 0. */
  priority?: number;
  nodeSelector?: Record<string, string>;
  /** Kubernetes' required node affinity (contracts/scheduler.ts). */
  nodeAffinity?: NodeAffinity;
  tolerations?: Toleration[];
  hostPorts?: HostPort[];
  image?: string;
  /** Workloads with the same spread key (e.g. "service/web") are spread across zones. */
  spreadKey?: string;
}

