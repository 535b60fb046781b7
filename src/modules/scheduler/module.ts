// Registration of the scheduler module: on one node it is the admission check in front of the
// kernel's resource ledger, with namespaces and quotas kept in the state store. The same
// framework (filters, scores, preemption) schedules thousands of nodes in the bench and the sim.
import { Kinds } from '../../contracts/kinds.js';
import type { StateStore } from '../../contracts/state-store.js';
import { FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import type { Admission, AdmissionRequest, NamespaceInfo, PreemptHandler, SchedulerApi } from '../../contracts/scheduler.js';
import { Cluster, podInfo, type PodInfo } from './node-info.js';
import { buildFramework, profileConfig } from './profile.js';
import { QuotaBook, validateNamespace, validateQuota, type Quota } from './quota.js';
import { Scheduler } from './scheduler.js';
import { evictionRank, placeAcross } from './cluster-placement.js';
import type { Taint } from './types.js';

export interface SchedulerConfig {
  /** default | binpack | balanced. */
  profile: string;
  /** This node's name and labels (zone, role=edge|cloud, custom) and taints. */
  node: { name: string; labels: Record<string, string>; taints: Taint[] };
}

const nsPrefix = '/scheduler/namespaces/';
const unmanagedId = 'ledger/unmanaged';
export const DefaultNamespace = 'default';

interface NamespaceRecord {
  name: string;
  createdAt: string;
  quota?: Quota;
}

export const schedulerModule = (): ModuleDef<SchedulerConfig, SchedulerApi> => ({
  kind: Kinds.scheduler,
  id: 'default',
  description: 'admission and scheduling: quotas, fit, taints, ports, priorities with preemption',
  requires: [Kinds.stateStore],
  defaults: { profile: 'default', node: { name: 'local', labels: { role: 'cloud' }, taints: [] } },
  validate(cfg) {
    profileConfig(cfg.profile); // throws on an unknown profile
    if (!cfg.node?.name) throw new InvalidArgument('scheduler node.name must be set');
    return cfg;
  },
  async init(ctx) {
    const store = ctx.getSingle<StateStore>(Kinds.stateStore);
    const ledger = ctx.ledger;
    const framework = buildFramework(profileConfig(ctx.config.profile));
    const nodeName = ctx.config.node.name;
    const cluster = new Cluster([{ name: nodeName, capacity: ledger.capacity, reserved: ledger.reserved, labels: ctx.config.node.labels, taints: ctx.config.node.taints }]);
    const quotas = new QuotaBook();
    const scheduler = new Scheduler(cluster, framework, quotas);
    const namespaces = new Map<string, NamespaceRecord>();
    const admitted = new Map<string, Admission>();
    const handlers = new Set<PreemptHandler>();

    for (const kv of (await store.list<NamespaceRecord>(nsPrefix)).items) {
      namespaces.set(kv.value.name, kv.value);
      quotas.set(kv.value.name, kv.value.quota);
    }
    if (!namespaces.has(DefaultNamespace)) {
      const rec = { name: DefaultNamespace, createdAt: new Date().toISOString() };
      namespaces.set(DefaultNamespace, rec);
      await store.put(nsPrefix + DefaultNamespace, rec);
    }

    // Allocations other modules make straight in the ledger are one phantom workload that cannot be preempted.
    const syncUnmanaged = (exclude?: string): void => {
      cluster.forget(unmanagedId);
      const sum = { cpu: 0, memory: 0, pids: 0 };
      for (const a of ledger.list()) {
        if (admitted.has(a.id) || a.id === exclude) continue;
        sum.cpu += a.cpu ?? 0;
        sum.memory += a.memory ?? 0;
        sum.pids += a.pids ?? 0;
      }
      if (sum.cpu || sum.memory || sum.pids) cluster.assume({ ...podInfo({ id: unmanagedId, requests: sum }), priority: Number.MAX_SAFE_INTEGER }, nodeName);
    };

    const info = (r: NamespaceRecord): NamespaceInfo => ({ name: r.name, createdAt: r.createdAt, quota: r.quota, used: quotas.used(r.name) });

    const api: SchedulerApi = {
      admit(req: AdmissionRequest): Admission {
        const existing = admitted.get(req.id);
        if (existing) return existing;
        const ns = req.namespace || DefaultNamespace;
        if (!namespaces.has(ns)) throw new NotFound(`namespace ${ns} does not exist (create it with: llmos namespace create ${ns})`);
        const pod: PodInfo = podInfo({ ...req, namespace: ns });
        const subject = req.subject ?? `workload/${req.id}`;
        const alreadyInLedger = ledger.list().some((l) => l.id === req.id);
        const a = admissionOf(pod, subject);
        if (alreadyInLedger) {
          // Adopt an allocation its owner made directly (e.g. re-adopting after a restart): account it, do not re-check.
          syncUnmanaged(req.id);
          cluster.assume(pod, nodeName);
          quotas.charge(pod, 1);
        } else {
          syncUnmanaged();
          let placement;
          try {
            placement = scheduler.place(pod);
          } catch (e) {
            if (e instanceof ResourceExhausted) ctx.events.publish({ topic: '/scheduler/rejected', subject, namespace: ns, message: e.message });
            throw e;
          }
          for (const v of placement.preempted) evict(v.id, a);
          ledger.allocate(pod.id, pod.requested);
        }
        admitted.set(a.id, a);
        return a;
      },
      release(id) {
        if (!admitted.delete(id)) return;
        scheduler.release(id);
        ledger.release(id);
      },
      get: (id) => admitted.get(id),
      admissions: (filter = {}) => [...admitted.values()].filter((a) => !filter.namespace || a.namespace === filter.namespace),
      onPreempt(h) {
        handlers.add(h);
        return () => handlers.delete(h);
      },
      namespaces: () => [...namespaces.values()].sort((a, b) => a.name.localeCompare(b.name)).map(info),
      async createNamespace(name) {
        validateNamespace(name);
        if (namespaces.has(name)) throw new FailedPrecondition(`namespace ${name} already exists`);
        const rec: NamespaceRecord = { name, createdAt: new Date().toISOString() };
        await store.put(nsPrefix + name, rec, { prevRevision: 0 });
        namespaces.set(name, rec);
        ctx.events.publish({ topic: '/scheduler/namespace-created', subject: `namespace/${name}`, namespace: name, message: `namespace ${name} created` });
        return info(rec);
      },
      async removeNamespace(name) {
        if (name === DefaultNamespace) throw new FailedPrecondition('the default namespace cannot be removed');
        if (!namespaces.has(name)) throw new NotFound(`namespace ${name} does not exist`);
        const n = quotas.used(name).workloads;
        if (n > 0) throw new FailedPrecondition(`namespace ${name} still has ${n} workload(s); remove them first`);
        await store.delete(nsPrefix + name);
        namespaces.delete(name);
        quotas.set(name, undefined);
        ctx.events.publish({ topic: '/scheduler/namespace-removed', subject: `namespace/${name}`, namespace: name, message: `namespace ${name} removed` });
      },
      async setQuota(name, q) {
        const rec = namespaces.get(name);
        if (!rec) throw new NotFound(`namespace ${name} does not exist (create it with: llmos namespace create ${name})`);
        const next: Quota = { ...rec.quota };
        for (const [k, v] of Object.entries(q) as Array<[keyof Quota, number | null | undefined]>) {
          if (v === null) delete next[k];
          else if (v !== undefined) next[k] = v;
        }
        validateQuota(next);
        const updated: NamespaceRecord = { ...rec, quota: Object.keys(next).length ? next : undefined };
        await store.put(nsPrefix + name, updated);
        namespaces.set(name, updated);
        quotas.set(name, updated.quota);
        ctx.events.publish({ topic: '/scheduler/quota-set', subject: `namespace/${name}`, namespace: name, message: `quota of ${name} set to ${JSON.stringify(updated.quota ?? {})}` });
        return info(updated);
      },
      placeAcross: (nodes, req) => placeAcross(framework, nodes, req),
      evictionRank,
      describe() {
        syncUnmanaged();
        const n = cluster.node(nodeName);
        return {
          profile: framework.profileName,
          node: { name: n.name, labels: { ...n.labels }, allocatable: { ...n.allocatable }, requested: { ...n.requested }, workloads: admitted.size },
        };
      },
    };

    function admissionOf(pod: PodInfo, subject: string): Admission {
      return { id: pod.id, namespace: pod.namespace, subject, node: nodeName, qos: pod.qos, priority: pod.priority, requests: { ...pod.requested }, limits: { ...pod.limits }, admittedAt: new Date().toISOString(), preempted: [] };
    }

    /** Frees a preemption victim and asks its owner to stop it; the event records who made room for whom. */
    function evict(victimId: string, by: Admission): void {
      const victim = admitted.get(victimId);
      admitted.delete(victimId);
      ledger.release(victimId);
      by.preempted.push({ id: victimId, namespace: victim?.namespace ?? '?', priority: victim?.priority ?? 0, subject: victim?.subject });
      ctx.events.publish({
        topic: '/scheduler/preempted',
        subject: victim?.subject ?? `workload/${victimId}`,
        namespace: victim?.namespace,
        message: `${victim?.subject ?? victimId} (priority ${victim?.priority ?? 0}) preempted to make room for ${by.subject} (priority ${by.priority})`,
        data: { victim: victimId, by: by.id },
      });
      if (!victim) return;
      for (const h of handlers) {
        Promise.resolve()
          .then(() => h(victim, by))
          .catch((e) => ctx.log.warn({ err: e }, `preemption handler failed for ${victimId}: ${errorMessage(e)}`));
      }
    }

    ctx.meta.exports.profile = framework.profileName;
    ctx.meta.exports.node = nodeName;
    return api;
  },
});
