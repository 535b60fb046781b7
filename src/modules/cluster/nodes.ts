// Node records and their leases in the state store, after Kubernetes' Node and Lease objects: the
// node record changes rarely (join, label, cordon), the lease at every heartbeat, so a heartbeat
// writes one small key. A node is Ready while its lease was renewed within the grace period
// (node-monitor-grace-period); the status is computed when read, so no loop has to flip it.
import { cloudLabel, zoneLabel, type JoinAnswer, type JoinRequest, type NodePatch, type NodeReport, type NodeView, type Taint } from '../../contracts/cluster.js';
import type { StateStore } from '../../contracts/state-store.js';
import { AlreadyExists, Conflict, NotFound, Unauthenticated } from '../../kernel/errors.js';
import { hashSecret, newSecret, secretMatches } from './secrets.js';

export interface NodeRecord {
  name: string;
  machineId: string;
  credentialHash: string;
  roles: string[];
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  address: string;
  report: NodeReport;
  createdAt: string;
}

interface LeaseRecord {
  holder: string;
  renewTime: string;
}

export const nodeKey = (name: string): string => `/cluster/nodes/${name}`;
export const leaseKey = (name: string): string => `/cluster/leases/${name}`;

export interface NodeTiming {
  leaseIntervalMs: number;
  leaseGraceMs: number;
}

export class NodeRegistry {
  constructor(
    private readonly store: StateStore,
    private readonly timing: NodeTiming,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers (or re-registers, from the same machine) a node; the token was checked by the caller. */
  async join(req: JoinRequest, from: string): Promise<JoinAnswer> {
    const old = await this.store.get<NodeRecord>(nodeKey(req.name));
    if (old && old.value.machineId !== req.machineId) {
      throw new AlreadyExists(`node ${req.name} is already registered by another machine: remove it first with \`llmos node rm ${req.name}\` on the server, or join with another --node-name`);
    }
    const secret = newSecret();
    const labels = { [cloudLabel]: 'private', [zoneLabel]: 'default', ...(old?.value.labels ?? {}), ...req.labels, 'llmos.io/hostname': req.name };
    const rec: NodeRecord = {
      name: req.name,
      machineId: req.machineId,
      credentialHash: hashSecret(secret),
      roles: old?.value.roles ?? ['worker'],
      labels,
      taints: old?.value.taints ?? req.taints,
      unschedulable: old?.value.unschedulable ?? false,
      address: from,
      report: req.report,
      createdAt: old?.value.createdAt ?? new Date(this.now()).toISOString(),
    };
    // Created only if absent, or replaced only if unchanged since read: two joins racing for one name cannot both win.
    const r = await this.store.txn({
      compare: [old ? { key: nodeKey(req.name), target: 'modRevision', value: old.modRevision } : { key: nodeKey(req.name), target: 'exists', value: false }],
      success: [{ type: 'put', key: nodeKey(req.name), value: rec }, { type: 'put', key: leaseKey(req.name), value: { holder: req.name, renewTime: new Date(this.now()).toISOString() } satisfies LeaseRecord }],
    });
    if (!r.succeeded) throw new AlreadyExists(`node ${req.name} was registered at the same time by another join; try again`);
    return { name: req.name, credential: `${req.name}.${secret}`, leaseIntervalMs: this.timing.leaseIntervalMs };
  }

  /** The node a credential (`<name>.<secret>`) belongs to; Unauthenticated otherwise. */
  private async authenticate(credential: string): Promise<{ rec: NodeRecord; modRevision: number }> {
    const dot = credential.indexOf('.');
    const name = credential.slice(0, dot);
    const kv = dot > 0 ? await this.store.get<NodeRecord>(nodeKey(name)) : undefined;
    if (!kv || !secretMatches(credential.slice(dot + 1), kv.value.credentialHash)) {
      throw new Unauthenticated(`node ${name || '?'} is not registered with this credential (removed with llmos node rm, or joined again elsewhere): restart the agent to join again`);
    }
    return { rec: kv.value, modRevision: kv.modRevision };
  }

  async renew(credential: string, report: NodeReport): Promise<{ renewTime: string; leaseIntervalMs: number }> {
    const { rec, modRevision } = await this.authenticate(credential);
    const renewTime = new Date(this.now()).toISOString();
    const ops = [{ type: 'put' as const, key: leaseKey(rec.name), value: { holder: rec.name, renewTime } satisfies LeaseRecord }];
    // The node record is rewritten only when what the agent reports changed (images, allocations).
    if (JSON.stringify(rec.report) !== JSON.stringify(report)) ops.push({ type: 'put', key: nodeKey(rec.name), value: { ...rec, report } as never });
    const r = await this.store.txn({ compare: [{ key: nodeKey(rec.name), target: 'modRevision', value: modRevision }], success: ops });
    if (!r.succeeded) throw new Conflict(`node ${rec.name} changed during the renewal; the next one retries`);
    return { renewTime, leaseIntervalMs: this.timing.leaseIntervalMs };
  }

  private view(rec: NodeRecord, lease: LeaseRecord | undefined): NodeView {
    const renewed = lease ? Date.parse(lease.renewTime) : NaN;
    const age = Number.isFinite(renewed) ? Math.max(0, this.now() - renewed) : null;
    return {
      name: rec.name,
      status: age !== null && age <= this.timing.leaseGraceMs ? 'Ready' : 'NotReady',
      unschedulable: rec.unschedulable,
      roles: rec.roles,
      labels: rec.labels,
      taints: rec.taints,
      zone: rec.labels[zoneLabel] ?? '',
      cloud: rec.labels[cloudLabel] ?? '',
      address: rec.address,
      capacity: rec.report.capacity,
      allocatable: rec.report.allocatable,
      allocated: rec.report.allocated,
      runtimes: rec.report.runtimes,
      images: rec.report.images,
      workloads: rec.report.workloads,
      agentVersion: rec.report.agentVersion,
      createdAt: rec.createdAt,
      lastHeartbeat: lease?.renewTime ?? null,
      heartbeatAgeSeconds: age === null ? null : Math.round(age / 100) / 10,
    };
  }

  async list(): Promise<NodeView[]> {
    const [nodes, leases] = await Promise.all([this.store.list<NodeRecord>('/cluster/nodes/'), this.store.list<LeaseRecord>('/cluster/leases/')]);
    const byName = new Map(leases.items.map((kv) => [kv.value.holder, kv.value]));
    return nodes.items.map((kv) => this.view(kv.value, byName.get(kv.value.name)));
  }

  private async record(name: string): Promise<{ rec: NodeRecord; modRevision: number }> {
    const kv = await this.store.get<NodeRecord>(nodeKey(name));
    if (!kv) throw new NotFound(`no node ${name} (see llmos nodes)`);
    return { rec: kv.value, modRevision: kv.modRevision };
  }

  async get(name: string): Promise<NodeView> {
    const { rec } = await this.record(name);
    return this.view(rec, (await this.store.get<LeaseRecord>(leaseKey(name)))?.value);
  }

  async update(name: string, patch: NodePatch): Promise<NodeView> {
    for (let attempt = 0; ; attempt++) {
      const { rec, modRevision } = await this.record(name);
      const labels = { ...rec.labels };
      for (const [k, v] of Object.entries(patch.labels ?? {})) if (v === null) delete labels[k]; else labels[k] = v;
      const removed = new Set([...(patch.removeTaints ?? []), ...(patch.addTaints ?? []).map((t) => t.key)]);
      const taints = [...rec.taints.filter((t) => !removed.has(t.key)), ...(patch.addTaints ?? [])];
      const next: NodeRecord = { ...rec, labels, taints, unschedulable: patch.unschedulable ?? rec.unschedulable };
      try {
        await this.store.put(nodeKey(name), next, { prevRevision: modRevision });
        return await this.get(name);
      } catch (e) {
        // A heartbeat rewrote the record in between: read it again (bounded).
        if (!(e instanceof Conflict) || attempt >= 4) throw e;
      }
    }
  }

  async remove(name: string): Promise<void> {
    const r = await this.store.txn({ compare: [{ key: nodeKey(name), target: 'exists', value: true }], success: [{ type: 'delete', key: nodeKey(name) }, { type: 'delete', key: leaseKey(name) }] });
    if (!r.succeeded) throw new NotFound(`no node ${name} (see llmos nodes)`);
  }
}
