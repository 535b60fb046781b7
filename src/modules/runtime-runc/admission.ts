// Where a container's resources are accounted: through the scheduler when it is loaded (namespace
// quotas, priorities, preemption), else straight in the kernel's ledger. Looked up per call, so
// the scheduler may be loaded or unloaded at run time.
import type { ContainerSpec } from '../../contracts/containers.js';
import type { ResourceLedger } from '../../kernel/ledger.js';
import type { SchedulerApi } from '../../contracts/scheduler.js';

export interface ContainerAdmission {
  /** Allocates the container's requests; throws ResourceExhausted with the reasons when it does not fit. */
  admit(id: string, spec: ContainerSpec, subject: string): void;
  release(id: string): void;
  has(id: string): boolean;
}

export function containerRequests(spec: ContainerSpec): { cpu?: number; memory?: number; pids?: number } {
  const cpu = spec.requests?.cpu ?? spec.cpus;
  const memory = spec.requests?.memory ?? spec.memory;
  return { ...(cpu !== undefined ? { cpu: Math.round(cpu * 1000) } : {}), ...(memory !== undefined ? { memory } : {}), ...(spec.pidsLimit !== undefined ? { pids: spec.pidsLimit } : {}) };
}

export function containerAdmission(ledger: ResourceLedger, scheduler: () => SchedulerApi | undefined): ContainerAdmission {
  return {
    admit(id, spec, subject) {
      const s = scheduler();
      if (!s) return ledger.allocate(id, containerRequests(spec));
      s.admit({ id, namespace: spec.namespace, requests: containerRequests(spec), limits: containerRequests({ ...spec, requests: undefined }), priority: spec.priority, subject });
    },
    release(id) {
      const s = scheduler();
      if (s?.get(id)) s.release(id);
      else ledger.release(id);
    },
    has: (id) => ledger.list().some((a) => a.id === id),
  };
}
