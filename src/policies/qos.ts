// QoS classes derived exactly as Kubernetes does for a pod with one container
// (pkg/apis/core/v1/helper/qos): only CPU and memory count, and a limit without a request
// implies a request equal to the limit.
import type { Resources } from '../contracts/workloads.js';
import type { QosClass, ResourceVector } from '../contracts/scheduler.js';

const qosDims = ['cpu', 'memory'] as const;

/** Requests with Kubernetes defaulting: an unset request takes the limit's value. */
export function effectiveRequests(requests: Resources = {}, limits: Resources = {}): ResourceVector {
  return {
    cpu: requests.cpu ?? limits.cpu ?? 0,
    memory: requests.memory ?? limits.memory ?? 0,
    pids: requests.pids ?? limits.pids ?? 0,
  };
}

export function qosClass(requests: Resources = {}, limits: Resources = {}): QosClass {
  const req = effectiveRequests(requests, limits);
  // BestEffort: no CPU or memory request or limit at all (zero counts as unset, as in k8s).
  if (qosDims.every((d) => !req[d] && !limits[d])) return 'BestEffort';
  // Guaranteed: CPU and memory both limited, and each request equals its limit.
  if (qosDims.every((d) => (limits[d] ?? 0) > 0 && req[d] === limits[d])) return 'Guaranteed';
  return 'Burstable';
}
