// Namespace quotas on CPU, memory (sums of requests, as Kubernetes ResourceQuota's
// requests.cpu / requests.memory) and workload count. Pure checks plus a small usage book.
import { InvalidArgument } from '../../kernel/errors.js';
import { formatResource } from '../../kernel/quantity.js';
import type { Quota, Usage } from '../../contracts/scheduler.js';
import type { PodInfo } from './node-info.js';

export type { Quota, Usage };


export const emptyUsage = (): Usage => ({ cpu: 0, memory: 0, workloads: 0 });

const nsPattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Namespace names are DNS labels, as in Kubernetes. */
export function validateNamespace(ns: string): string {
  if (!nsPattern.test(ns)) throw new InvalidArgument(`namespace "${ns}" must be a DNS label: lowercase letters, digits and '-', at most 63 characters`);
  return ns;
}

export function validateQuota(q: Quota): Quota {
  for (const [k, v] of Object.entries(q)) {
    if (!['cpu', 'memory', 'workloads'].includes(k)) throw new InvalidArgument(`quota has no field ${k} (cpu, memory, workloads)`);
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw new InvalidArgument(`quota ${k} must be a non-negative number`);
  }
  return q;
}

/** Why adding `req` to `used` breaks the namespace's quota, or undefined when it fits. */
export function quotaShortfall(ns: string, quota: Quota | undefined, used: Usage, req: { cpu: number; memory: number }): string | undefined {
  if (!quota) return undefined;
  if (quota.workloads !== undefined && used.workloads + 1 > quota.workloads) return `quota ${ns} allows ${quota.workloads} workloads and has ${used.workloads}`;
  if (quota.cpu !== undefined && used.cpu + req.cpu > quota.cpu) return `quota ${ns} has ${formatResource('cpu', Math.max(0, quota.cpu - used.cpu))} left`;
  if (quota.memory !== undefined && used.memory + req.memory > quota.memory) return `quota ${ns} has ${formatResource('memory', Math.max(0, quota.memory - used.memory))} left`;
  return undefined;
}

/** Quotas and the running usage of each namespace. */
export class QuotaBook {
  private readonly quotas = new Map<string, Quota>();
  private readonly usage = new Map<string, Usage>();

  set(ns: string, q: Quota | undefined): void {
    if (q) this.quotas.set(ns, validateQuota(q));
    else this.quotas.delete(ns);
  }

  get(ns: string): Quota | undefined {
    return this.quotas.get(ns);
  }

  used(ns: string): Usage {
    return { ...(this.usage.get(ns) ?? emptyUsage()) };
  }

  shortfall(p: PodInfo): string | undefined {
    return quotaShortfall(p.namespace, this.quotas.get(p.namespace), this.usage.get(p.namespace) ?? emptyUsage(), p.requested);
  }

  charge(p: PodInfo, sign: 1 | -1): void {
    let u = this.usage.get(p.namespace);
    if (!u) this.usage.set(p.namespace, (u = emptyUsage()));
    u.cpu += sign * p.requested.cpu;
    u.memory += sign * p.requested.memory;
    u.workloads += sign;
  }
}
