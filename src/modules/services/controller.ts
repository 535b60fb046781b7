// The services controller: the I/O edge around plan.ts. Each pass reads desired state from the
// store and actual replicas from the containers module (nothing else), so a restarted daemon
// adopts the replicas it finds instead of starting more. It keeps the host port proxies pointed at
// ready replicas. Per-replica state and its pure decisions are in replica-runtime.ts, the probes
// in replica-probes.ts, the host port proxies in host-ports.ts.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ContainerInfo, ContainersApi } from '../../contracts/containers.js';
import type { ServiceNetworkApi } from '../../contracts/network.js';
import type { StateStore } from '../../contracts/state-store.js';
import { errorMessage, isNotFound, Unavailable } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import type { EventBus } from '../../kernel/events.js';
import type { WorkloadState } from '../../kernel/workloads.js';
import { HostPorts } from './host-ports.js';
import { backoffMs, plan, type Action } from './plan.js';
import { ReplicaProbes } from './replica-probes.js';
import { rolledBack, rolloutComplete } from './records.js';
import { isReady, readyBackends, replicaSpec, replicaView, rtKey, serviceStatus, type ReplicaRuntime, type ServiceRuntime } from './replica-runtime.js';
import { LABEL_HASH, type ExposureRecord, type ServiceRecord, type ServiceStatus } from './types.js';
import { kernelEndpoints } from './endpoints.js';
import { updateRecord } from './record-cas.js';
import { NetSync } from './net-sync.js';
import { CoalescedRun } from '../../kernel/coalesce.js';
import { ClusterReplicas, peersByNode, type ClusterReplicasOptions } from './cluster-replicas.js';

export interface ControllerOptions {
  store: StateStore;
  containers: () => ContainersApi;
  events: EventBus;
  log: Logger;
  /** Addresses every host port listens on (127.0.0.1 first). */
  addresses: readonly string[];
  /** The network's service data path (ClusterIPs, kernel rules, DNS), when loaded. */
  net?: () => ServiceNetworkApi | undefined;
  /** Host ports through the userspace proxy instead of the kernel (opt-in: least outstanding requests for HTTP). */
  userspaceProxy?: boolean;
  /** A container stuck in "created" this long is treated as failed. */
  createdGraceMs?: number;
  now?: () => number;
  /** Cluster mode: the joined nodes and cross-node placement (cluster-replicas.ts). */
  cluster?: ClusterReplicasOptions['cluster'];
  scheduler?: ClusterReplicasOptions['scheduler'];
  /** Several servers on one etcd: whether this one is the elected leader (the only one that reconciles). */
  leading?: () => boolean;
}

/**
 * Fault-injection steps (test/faults/rollout.fault.test.ts kills the daemon at each): named
 * services.rollout.<step> while a rolling update is in progress, services.replica.<step> otherwise.
 */
const step = (rec: ServiceRecord | undefined, name: string): string => `services.${rec?.rollout?.phase === 'progressing' ? 'rollout' : 'replica'}.${name}`;
const DEAD: readonly WorkloadState[] = ['exited', 'failed'];

export class ServicesController {
  private readonly services = new Map<string, ServiceRuntime>();
  private readonly ports: HostPorts;
  private readonly loop: CoalescedRun;
  private stopped = false;
  private readonly probes: ReplicaProbes;
  private readonly now: () => number;
  private records: ServiceRecord[] = [];
  private exposures: ExposureRecord[] = [];
  private readonly net: NetSync;
  readonly placed: ClusterReplicas;

  constructor(private readonly o: ControllerOptions) {
    this.now = o.now ?? Date.now;
    this.loop = new CoalescedRun(() => this.reconcileAll(), (e) => o.log.warn({ err: e }, 'services reconcile failed'), () => this.stopped);
    this.placed = new ClusterReplicas({ local: o.containers, cluster: o.cluster ?? (() => undefined), scheduler: o.scheduler ?? (() => undefined), log: o.log, publish: (svc, topic, message, data) => this.publish(svc, topic, message, data) });
    this.net = new NetSync(() => o.net?.(), () => ({ records: this.records, exposures: this.exposures, ready: (ns, n) => readyBackends(this.services.get(rtKey(ns, n)), 0).map((b) => b.host), kernelPorts: this.kernelPorts() }), o.log);
    this.ports = new HostPorts({ addresses: o.addresses, log: o.log, publish: (svc, topic, message, data) => this.publish(svc, topic, message, data) });
    this.probes = new ReplicaProbes({
      services: () => this.services.values(),
      placed: this.placed,
      now: this.now,
      publish: (rt, topic, message, data) => this.publish(rt, topic, message, data),
      refreshBackends: () => this.refreshBackends(),
      kick: () => void this.kick(),
      step,
    });
  }

  // ---- loop ---------------------------------------------------------------------------------

  /** Runs a reconcile pass now, or once more after the one in progress; resolves when done. */
  kick(): Promise<void> {
    if (this.stopped || this.o.leading?.() === false) return Promise.resolve();
    return this.loop.run();
  }

  startProbes(tickMs: number): void {
    this.probes.start(tickMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.net.stopped = true;
    this.probes.stop();
    await this.loop.current;
    // Replicas keep running: the next daemon adopts them. Only the host ports close.
    await this.ports.close();
  }

  private async reconcileAll(): Promise<void> {
    const [{ items: records }, { items: exposures }, listed] = await Promise.all([
      this.o.store.list<ServiceRecord>('/services/'),
      this.o.store.list<ExposureRecord>('/service-exposures/'),
      this.placed.list(),
    ]);
    const all = await this.placed.withoutReplaced(listed, records.map((r) => r.value));
    const byOwner = new Map<string, ContainerInfo[]>();
    for (const c of all) {
      if (!c.owner?.startsWith('service/')) continue;
      const k = rtKey(c.namespace, c.owner.slice('service/'.length));
      byOwner.set(k, [...(byOwner.get(k) ?? []), c]);
    }
    this.records = records.map((r) => r.value);
    this.exposures = exposures.map((e) => e.value);
    // Host ports first: they depend only on desired state, and are ready when replicas become so.
    // With the kernel data path, the rules serve them and the userspace proxy opens none.
    if (this.kernelPorts()) await this.ports.reconcile([], []);
    else await this.ports.reconcile(this.records, this.exposures);
    const wanted = new Set<string>();
    await Promise.all(
      records.map(async ({ value: rec }) => {
        const k = rtKey(rec.namespace, rec.name);
        wanted.add(k);
        let rt = this.services.get(k);
        if (!rt) this.services.set(k, (rt = { name: rec.name, namespace: rec.namespace, replicas: new Map(), failures: 0, backoffUntil: 0, startErrors: 0 }));
        rt.record = rec;
        // One service's trouble (a runtime error) must not hold up the others.
        await this.reconcileService(rt, byOwner.get(k) ?? []).catch((e) => this.o.log.warn({ err: e, service: k }, 'service reconcile failed'));
      }),
    );
    // Replicas whose service is gone.
    for (const [k, cs] of byOwner) {
      if (wanted.has(k)) continue;
      for (const c of cs) await this.removeReplica(c, 'its service was deleted', k);
    }
    for (const k of [...this.services.keys()]) if (!wanted.has(k)) this.services.delete(k);
    this.refreshBackends();
    await this.net.sync();
  }

  // ---- one service --------------------------------------------------------------------------

  private syncReplicas(rt: ServiceRuntime, cs: ContainerInfo[]): void {
    const rec = rt.record!;
    const seen = new Set<string>();
    for (const info of cs) {
      seen.add(info.id);
      const r: ReplicaRuntime = rt.replicas.get(info.id) ?? { info, hash: info.labels[LABEL_HASH] ?? '' };
      r.info = info;
      this.probes.ensure(rec, r);
      rt.replicas.set(info.id, r);
    }
    for (const id of [...rt.replicas.keys()]) if (!seen.has(id)) rt.replicas.delete(id);
  }

  private async reconcileService(rt: ServiceRuntime, cs: ContainerInfo[]): Promise<void> {
    const rec = rt.record!;
    this.syncReplicas(rt, cs);
    if (rt.startErrorsHash !== rec.templateHash) {
      rt.startErrors = 0;
      rt.startErrorsHash = rec.templateHash;
    }
    const now = this.now();
    const rs = [...rt.replicas.values()];
    const views = this.placed.decorate(rs.map((r) => replicaView(r, now, this.o.createdGraceMs)), rs.map((r) => r.info), rec);
    const actions = plan({
      replicas: rec.spec.replicas,
      templateHash: rec.templateHash,
      rollout: rec.rollout,
      progressDeadlineSeconds: rec.spec.progressDeadlineSeconds,
      actual: views,
      now,
      backoffUntil: rt.backoffUntil,
      startErrors: rt.startErrors,
      lastStartError: rt.lastStartError,
    });
    // Removals run in parallel (each may wait out a stop grace period); the rest in order.
    await Promise.all(actions.filter((a) => a.type === 'remove').map((a) => this.act(rt, a)));
    for (const a of actions) if (a.type !== 'remove') await this.act(rt, a);
    const cur = views.filter((v) => v.hash === rec.templateHash && v.ready && v.state === 'running');
    if (cur.length >= rec.spec.replicas) rt.failures = 0;
  }

  private publish(rt: { name: string; namespace: string }, topic: string, message: string, data?: Record<string, unknown>): void {
    this.o.events.publish({ topic: `/services/${topic}`, subject: `service/${rt.name}`, namespace: rt.namespace, message, ...(data ? { data } : {}) });
  }

  private async act(rt: ServiceRuntime, a: Action): Promise<void> {
    const rec = rt.record!;
    switch (a.type) {
      case 'rollback': {
        faultPoint(step(rec, 'record-rollback'));
        const updated = await this.updateRecord(rec, (r) => rolledBack(r, a.reason, new Date(this.now()).toISOString()));
        if (updated) rt.record = updated;
        this.publish(rt, 'rolled-back', `service ${rec.name}: rolling update to ${rec.spec.template.image} failed (${a.reason}); rolled back to ${rec.rollout?.fromTemplate?.image}`, { reason: a.reason, from: rec.templateHash, to: rec.rollout?.fromHash });
        this.loop.runAgain();
        return;
      }
      case 'complete-rollout': {
        faultPoint(step(rec, 'record-complete'));
        const updated = await this.updateRecord(rec, (r) => rolloutComplete(r, new Date(this.now()).toISOString()));
        if (updated) rt.record = updated;
        this.publish(rt, 'rolled-out', `service ${rec.name}: rolling update to ${rec.spec.template.image} complete`, { templateHash: rec.templateHash });
        return;
      }
      case 'remove': {
        const r = rt.replicas.get(a.id);
        if (a.failed) {
          rt.failures++;
          rt.backoffUntil = this.now() + backoffMs(rt.failures);
        }
        if (r && !r.removing) {
          // Take it out of the balancer before stopping it (in a rollout: traffic switches to the new replicas).
          faultPoint(step(rec, r.hash === rec.templateHash ? 'drain-replica' : 'switch'));
          r.removing = true;
          this.refreshBackends();
          // The kernel rules must stop sending new connections to it before it stops.
          await this.net.sync();
          await this.removeReplica(r.info, a.reason, rtKey(rt.namespace, rt.name), a.failed);
          if (rt.replicas.get(a.id) === r) rt.replicas.delete(a.id);
        }
        return;
      }
      case 'start':
        for (let i = 0; i < a.count; i++) if (!(await this.startReplica(rt))) return;
    }
  }

  private async startReplica(rt: ServiceRuntime): Promise<boolean> {
    const rec = rt.record!;
    const t = rec.spec.template;
    const spec = replicaSpec(rec, randomBytes(3).toString('hex'), this.net.env(rec.namespace));
    const name = spec.name!;
    try {
      faultPoint(step(rec, 'create-replica'));
      const info = await this.placed.run(spec, peersByNode([...rt.replicas.values()].filter((r) => !r.removing).map((r) => r.info)), rec.spec.placement, rec.spec.nodeAffinity);
      const r: ReplicaRuntime = { info, hash: rec.templateHash };
      this.probes.ensure(rec, r);
      rt.replicas.set(info.id, r);
      this.publish(rt, 'replica-started', `service ${rec.name}: started replica ${info.name} (${t.image})`, { replica: info.name, image: t.image });
      return true;
    } catch (e) {
      // An unreachable store or node says nothing about the template: backed off, not counted
      // as a start error (which rolls an update back; the progress deadline still bounds it).
      if (!(e instanceof Unavailable)) {
        rt.startErrors++;
        rt.lastStartError = errorMessage(e);
      }
      rt.failures++;
      rt.backoffUntil = this.now() + backoffMs(rt.failures);
      this.publish(rt, 'replica-failed', `service ${rec.name}: cannot start a replica of ${t.image}: ${errorMessage(e)}`, { image: t.image });
      // A half-created container would be adopted as a replica that never starts: remove it.
      if (!this.placed.active()) await this.o.containers().remove(name, { force: true }).catch(() => undefined);
      return false;
    }
  }

  private async removeReplica(c: ContainerInfo, reason: string, key: string, failed = false): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const api = this.placed.ops;
    const rec = this.services.get(key)?.record;
    const old = c.labels[LABEL_HASH] !== rec?.templateHash;
    try {
      faultPoint(step(rec, old ? 'stop-old-replica' : 'stop-replica'));
      if (!DEAD.includes(c.state)) await api.stop(c.id, { timeoutSeconds: 5 }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      faultPoint(step(rec, old ? 'remove-old-replica' : 'remove-replica'));
      await api.remove(c.id, { force: true }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      this.publish({ name, namespace: ns }, failed ? 'replica-replaced' : 'replica-stopped', `service ${name}: ${failed ? 'replacing' : 'stopped'} replica ${c.name}: ${reason}`, { replica: c.name, reason });
    } catch (e) {
      this.o.log.warn({ err: e, replica: c.name }, 'cannot remove replica');
    }
  }

  private updateRecord(rec: ServiceRecord, fn: (r: ServiceRecord) => ServiceRecord): Promise<ServiceRecord | undefined> {
    return updateRecord(this.o.store, rec, fn);
  }

  // ---- host ports ---------------------------------------------------------------------------

  private refreshBackends(): void {
    this.ports.refresh((service, port) => readyBackends(this.services.get(service), port));
    void this.net.sync();
  }

  private kernelPorts(): boolean {
    return !this.o.userspaceProxy && !!this.o.net?.();
  }

  // ---- introspection ------------------------------------------------------------------------

  status(rec: ServiceRecord): ServiceStatus {
    const k = rtKey(rec.namespace, rec.name);
    const endpoints = this.kernelPorts() ? kernelEndpoints(rec, this.exposures) : this.ports.endpoints(k);
    return serviceStatus(rec, this.services.get(k), endpoints);
  }

  /** status plus the network's view: ClusterIPs, names, rules with their counters. */
  async inspect(rec: ServiceRecord): Promise<ServiceStatus> {
    const s = this.status(rec);
    const network = await this.net.state(rec, this.exposures);
    return network ? { ...s, network } : s;
  }

  /** Ready replicas' container ids (for metrics). */
  readyReplicaIds(ns: string, name: string): string[] {
    return [...(this.services.get(rtKey(ns, name))?.replicas.values() ?? [])].filter((r) => isReady(r)).map((r) => r.info.id);
  }

  /** Request rate and concurrency across the service's host ports since the last sample. */
  sampleLoad(ns: string, name: string): { rps: number; concurrency: number } | undefined {
    return this.ports.sampleLoad(rtKey(ns, name), this.now());
  }

  /** Replica containers of a service, for logs. */
  replicaInfos(ns: string, name: string): ContainerInfo[] {
    return [...(this.services.get(rtKey(ns, name))?.replicas.values() ?? [])].map((r) => r.info);
  }
}
