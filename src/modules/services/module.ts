// Registration of the services module: replicated containers behind one host port each, kept at
// their desired state (stored under /services/) by a reconcile loop.
import { isIP } from 'node:net';
import type { ContainersApi } from '../../contracts/containers.js';
import { Kinds } from '../../contracts/kinds.js';
import type { ServiceNetworkApi } from '../../contracts/network.js';
import type { ServiceLogLine } from '../../contracts/services.js';
import { clusterKind, type ClusterApi } from '../../contracts/cluster.js';
import { leaderKind, type LeaderApi } from '../../contracts/leader.js';
import type { SchedulerApi } from '../../contracts/scheduler.js';
import type { ScaleTargetProvider } from '../../contracts/scaling.js';
import type { StateStore } from '../../contracts/state-store.js';
import { AlreadyExists, InvalidArgument, NotFound } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import type { ModuleDef } from '../../kernel/module.js';
import { applyObjects, deleteObjects, type ApplyOptions, type ApplyOutcome, type FunctionApplier } from './apply.js';
import { ServicesController } from './controller.js';
import { assertValid, LLMOS_API, parseDocuments } from './manifest.js';
import { withSpec } from './records.js';
import { serviceKey, type ServiceRecord, type ServiceStatus } from './types.js';

export type { ServiceLogLine };

export interface ServicesConfig {
  /** Addresses each service host port listens on besides 127.0.0.1. */
  addresses: string[];
  /** Period of the reconcile loop. */
  reconcileMs: number;
  /** How often due probes are started. */
  probeTickMs: number;
  /**
   * Host ports through the userspace proxy (least outstanding requests for HTTP) instead of the
   * kernel's DNAT rules. Off by default: the kernel path keeps the daemon out of the packet path.
   */
  userspaceProxy: boolean;
}

export interface ServicesApi {
  list(namespace?: string): Promise<ServiceStatus[]>;
  get(name: string, namespace?: string): Promise<ServiceStatus>;
  /** Creates a service from an llmos.io/v1 Service manifest; AlreadyExists if it is there. */
  create(manifest: unknown): Promise<{ service: ServiceStatus; warnings: string[] }>;
  scale(name: string, replicas: number, opts?: { reason?: string; namespace?: string }): Promise<ServiceStatus>;
  /** Changes the replica template (a rolling update). */
  update(name: string, change: { image?: string; env?: Record<string, string> }, namespace?: string): Promise<ServiceStatus>;
  remove(name: string, namespace?: string): Promise<void>;
  logs(name: string, opts?: { tail?: number; follow?: boolean; signal?: AbortSignal; namespace?: string }): AsyncIterable<ServiceLogLine>;
  apply(docs: readonly unknown[], opts?: { dryRun?: boolean; functions?: FunctionApplier }): Promise<ApplyOutcome[]>;
  delete(docs: readonly unknown[], opts?: { dryRun?: boolean; functions?: FunctionApplier }): Promise<ApplyOutcome[]>;
  /** Runs a reconcile pass now and waits for it. */
  reconcile(): Promise<void>;
  scaleTargets: ScaleTargetProvider;
}

interface Internal {
  api: ServicesApi;
  controller: ServicesController;
  unregister: () => void;
  probeTickMs: number;
  /** Reconciles at once when this server becomes the leader (after init: optional kinds load in any order). */
  followLeader: () => void;
}

export const servicesModule = (): ModuleDef<ServicesConfig, ServicesApi & { [internal]?: Internal }> => ({
  kind: Kinds.services,
  id: 'default',
  description: 'replicated services: reconcile loop, probes, rolling updates, host-port load balancing, apply',
  requires: [Kinds.stateStore, Kinds.containers],
  optional: [Kinds.network, Kinds.scheduler, clusterKind, leaderKind],
  defaults: { addresses: [], reconcileMs: 1000, probeTickMs: 200, userspaceProxy: false },
  validate(c) {
    if (!Array.isArray(c.addresses) || c.addresses.some((a) => typeof a !== 'string' || !isIP(a))) throw new InvalidArgument('services.addresses must be a list of IP addresses');
    if (!(c.reconcileMs >= 100)) throw new InvalidArgument('services.reconcileMs must be at least 100');
    if (!(c.probeTickMs >= 20)) throw new InvalidArgument('services.probeTickMs must be at least 20');
    if (typeof c.userspaceProxy !== 'boolean') throw new InvalidArgument('services.userspaceProxy must be true or false');
    return c;
  },
  init(ctx) {
    const store = ctx.getSingle<StateStore>(Kinds.stateStore);
    const containers = ctx.lookup<ContainersApi>(Kinds.containers);
    const addresses = [...new Set(['127.0.0.1', ...ctx.config.addresses])];
    // The network module's service data path, when it has one (ClusterIPs, kernel rules, names).
    const net = (): ServiceNetworkApi | undefined => {
      const n = ctx.getOptional<Partial<ServiceNetworkApi>>(Kinds.network);
      return n?.syncServices ? (n as ServiceNetworkApi) : undefined;
    };
    const cluster = () => ctx.getOptional<ClusterApi>(clusterKind);
    const scheduler = () => ctx.getOptional<SchedulerApi>(Kinds.scheduler);
    // Several servers on one etcd: only the elected one reconciles (one place for each replica).
    const leader = () => ctx.getOptional<LeaderApi>(leaderKind);
    const controller = new ServicesController({ store, containers, events: ctx.events, log: ctx.log, addresses, net, userspaceProxy: ctx.config.userspaceProxy, cluster, scheduler, leading: () => leader()?.isLeader() ?? true });
    const unregister = ctx.reconciler.register('services', () => controller.kick(), ctx.config.reconcileMs);
    ctx.meta.exports.addresses = addresses;
    ctx.meta.exports.storeKeys = ['/services/NS/NAME', '/service-exposures/NS/NAME', '/autoscalers/NS/NAME'];

    const getRecord = async (name: string, ns = 'default'): Promise<{ value: ServiceRecord; modRevision: number }> => {
      const kv = await store.get<ServiceRecord>(serviceKey(ns, name));
      if (!kv) throw new NotFound(`service ${name} not found${ns === 'default' ? '' : ` in namespace ${ns}`}`);
      return kv;
    };
    const onChange: ApplyOptions['onChange'] = (c) => {
      const what = c.key.startsWith('/services/') ? 'service' : c.key.startsWith('/autoscalers/') ? 'autoscaler' : 'exposure';
      const topic = c.rollout ? 'rollout-started' : c.action;
      ctx.events.publish({ topic: `/services/${topic}`, subject: `${what}/${c.name}`, namespace: c.namespace, message: `${c.kind} ${c.name} ${c.rollout ? 'configured: rolling update started' : c.action}`, ...(c.replicas !== undefined ? { data: { replicas: c.replicas } } : {}) });
    };
    /** Writes a new spec with a compare-and-swap, then reconciles. */
    const changeSpec = async (name: string, ns: string, fn: (r: ServiceRecord) => ServiceRecord['spec']): Promise<{ before: ServiceRecord; after: ServiceRecord; rollout: boolean }> => {
      const kv = await getRecord(name, ns);
      const c = withSpec(kv.value, { name, namespace: ns, labels: kv.value.labels, spec: fn(kv.value), source: kv.value.source }, new Date().toISOString());
      if (c.action !== 'unchanged') {
        if (c.rollout) faultPoint('services.rollout.record-spec'); // before the write: an unacknowledged update changes nothing
        await store.put(serviceKey(ns, name), c.record, { prevRevision: kv.modRevision });
        if (c.rollout) faultPoint('services.rollout.record-spec-written'); // after: acknowledged or not, the new revision must win
      }
      return { before: kv.value, after: c.record, rollout: c.rollout };
    };

    const api: ServicesApi = {
      async list(namespace) {
        const { items } = await store.list<ServiceRecord>(namespace ? `/services/${namespace}/` : '/services/');
        return items.map((kv) => controller.status(kv.value));
      },
      async get(name, namespace = 'default') {
        return controller.inspect((await getRecord(name, namespace)).value);
      },
      async create(manifest) {
        const [obj] = assertValid(parseDocuments([manifest]));
        if (!obj || obj.ref.apiVersion !== LLMOS_API || obj.ref.kind !== 'Service') throw new InvalidArgument(`create takes an ${LLMOS_API} Service manifest`);
        if (await store.get(serviceKey(obj.ref.namespace, obj.ref.name))) throw new AlreadyExists(`service ${obj.ref.name} already exists (use apply, scale or update to change it)`);
        const [out] = await applyObjects(store, [obj], { onChange });
        await controller.kick();
        return { service: await api.get(obj.ref.name, obj.ref.namespace), warnings: out?.warnings ?? [] };
      },
      async scale(name, replicas, opts = {}) {
        if (!Number.isInteger(replicas) || replicas < 0 || replicas > 1000) throw new InvalidArgument(`replicas must be an integer from 0 to 1000, got ${replicas}`);
        const ns = opts.namespace ?? 'default';
        const { before } = await changeSpec(name, ns, (r) => ({ ...r.spec, replicas }));
        if (before.spec.replicas !== replicas)
          ctx.events.publish({ topic: '/services/scaled', subject: `service/${name}`, namespace: ns, message: `service ${name} scaled from ${before.spec.replicas} to ${replicas}${opts.reason ? `: ${opts.reason}` : ''}`, data: { from: before.spec.replicas, to: replicas, reason: opts.reason } });
        void controller.kick();
        return api.get(name, ns);
      },
      async update(name, change, namespace = 'default') {
        if (change.image !== undefined && !change.image.trim()) throw new InvalidArgument('image must not be empty');
        const { after, rollout } = await changeSpec(name, namespace, (r) => ({ ...r.spec, template: { ...r.spec.template, ...(change.image ? { image: change.image } : {}), ...(change.env ? { env: { ...r.spec.template.env, ...change.env } } : {}) } }));
        if (rollout) ctx.events.publish({ topic: '/services/rollout-started', subject: `service/${name}`, namespace, message: `service ${name}: rolling update to ${after.spec.template.image} started`, data: { image: after.spec.template.image, templateHash: after.templateHash } });
        void controller.kick();
        return api.get(name, namespace);
      },
      async remove(name, namespace = 'default') {
        await getRecord(name, namespace);
        await store.delete(serviceKey(namespace, name));
        ctx.events.publish({ topic: '/services/deleted', subject: `service/${name}`, namespace, message: `service ${name} deleted` });
        await controller.kick();
      },
      logs(name, opts = {}) {
        return serviceLogs(containers(), () => getRecord(name, opts.namespace).then(() => controller.replicaInfos(opts.namespace ?? 'default', name)), opts);
      },
      async apply(docs, opts = {}) {
        const objects = assertValid(parseDocuments(docs));
        const out = await applyObjects(store, objects, { dryRun: opts.dryRun, functions: opts.functions, onChange });
        if (!opts.dryRun) void controller.kick();
        return out;
      },
      async delete(docs, opts = {}) {
        const objects = assertValid(parseDocuments(docs));
        const out = await deleteObjects(store, objects, { dryRun: opts.dryRun, functions: opts.functions, onChange });
        if (!opts.dryRun) await controller.kick();
        return out;
      },
      reconcile: () => controller.kick(),
      scaleTargets: {
        kind: 'service',
        async list() {
          const { items } = await store.list<ServiceRecord>('/services/');
          return items.map(({ value: r }) => ({ name: r.name, namespace: r.namespace, min: r.spec.autoscale?.min ?? r.spec.replicas, max: r.spec.autoscale?.max ?? r.spec.replicas }));
        },
        async metrics(name, namespace = 'default') {
          const s = controller.status((await getRecord(name, namespace)).value);
          const load = controller.sampleLoad(namespace, name);
          const t = s.spec.template;
          const ids = controller.readyReplicaIds(namespace, name);
          const stats = (await Promise.all(ids.map((id) => containers().stats(id).catch(() => undefined)))).filter((x) => x !== undefined);
          const cpuBase = t.requests?.cpu ?? t.cpus;
          const memBase = t.requests?.memory ?? t.memory;
          const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
          // cpuPercent is of one core; utilisation is relative to the request (or the limit).
          const cpu = cpuBase ? mean(stats.map((x) => x.cpuPercent / cpuBase)) : undefined;
          const mem = memBase ? mean(stats.map((x) => (100 * x.memoryUsage) / memBase)) : undefined;
          return {
            replicas: s.spec.replicas,
            readyReplicas: s.readyReplicas,
            ...(cpu !== undefined ? { cpuUtilization: cpu } : {}),
            ...(mem !== undefined ? { memoryUtilization: mem } : {}),
            ...(load ? { rps: load.rps, concurrency: load.concurrency } : {}),
          };
        },
        async scale(name, replicas, reason, namespace) {
          await api.scale(name, replicas, { reason: `autoscaler: ${reason}`, namespace });
        },
      },
    };
    Object.defineProperty(api, internal, { value: { api, controller, unregister, probeTickMs: ctx.config.probeTickMs, followLeader: () => void leader()?.onChange((leads) => void (leads && controller.kick())) } satisfies Internal, enumerable: false });
    return api;
  },
  start(api) {
    const i = api[internal]!;
    i.controller.startProbes(i.probeTickMs);
    i.followLeader();
    void i.controller.kick();
  },
  async stop(api) {
    const i = api[internal]!;
    i.unregister();
    await i.controller.stop();
  },
});

const internal = Symbol('services.internal');

/** Log lines of all replicas, each tagged with its replica; follow merges the live streams. */
async function* serviceLogs(containers: ContainersApi, replicas: () => Promise<Array<{ id: string; name: string }>>, opts: { tail?: number; follow?: boolean; signal?: AbortSignal }): AsyncIterable<ServiceLogLine> {
  const rs = await replicas();
  if (!opts.follow) {
    const all: ServiceLogLine[] = [];
    for (const r of rs) {
      try {
        for await (const l of containers.logs(r.id, { tail: opts.tail })) all.push({ ...l, replica: r.name });
      } catch {
        /* a replica removed meanwhile has no logs */
      }
    }
    all.sort((a, b) => a.time.localeCompare(b.time));
    yield* opts.tail ? all.slice(-opts.tail) : all;
    return;
  }
  // Merge live streams through one queue.
  const queue: ServiceLogLine[] = [];
  let wake: (() => void) | undefined;
  let open = rs.length;
  for (const r of rs)
    void (async () => {
      try {
        for await (const l of containers.logs(r.id, { tail: opts.tail, follow: true, signal: opts.signal })) {
          queue.push({ ...l, replica: r.name });
          wake?.();
        }
      } catch {
        /* stream ended */
      } finally {
        open--;
        wake?.();
      }
    })();
  while (!opts.signal?.aborted) {
    while (queue.length) yield queue.shift()!;
    if (open === 0) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
      opts.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    wake = undefined;
  }
}
