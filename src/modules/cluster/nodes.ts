// Node records and their leases in the state store, after Kubernetes' Node and Lease objects: the
// node record changes rarely (join, label, cordon), the lease at every heartbeat, so a heartbeat
// writes one small key. A node is Ready while its lease was renewed within the grace period
// (node-monitor-grace-period); the status is computed when read, so no loop has to flip it.
import { cloudLabel, zoneLabel, type JoinAnswer, type JoinRequest, type NodePatch, type NodeReport, type NodeView, type Taint } from '../../contracts/cluster.js';
import type { KeyValue, StateStore, TxnOp } from '../../contracts/state-store.js';
import { AlreadyExists, Conflict, InvalidArgument, NotFound, Unauthenticated } from '../../kernel/errors.js';
import { canonicalCidr, CLUSTER_POD_CIDR, POD_SUBNET_PREFIX } from '../../contracts/network.js';
import { GroupCommit } from './group-commit.js';
import { NodeCache, leasesPrefix, nodesPrefix } from './node-cache.js';
import { BlockCursor, backfillIndex, heldBlocks, subnetBlocks, type SubnetClaim } from './pod-subnets.js';
import { hashSecret, newSecret, secretMatches } from './secrets.js';
import { nodeCondition } from '../../policies/node-lifecycle.js';

export interface NodeRecord {
  name: string;
  machineId: string;
  credentialHash: string;
  roles: string[];
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  /** Being drained (llmos node drain): the services controller moves its replicas off. */
  draining?: boolean;
  address: string;
  report: NodeReport;
  createdAt: string;
  podSubnet?: string;
}

interface LeaseRecord {
  holder: string;
  renewTime: string;
}

export const nodeKey = (name: string): string => `${nodesPrefix}${name}`;
export const leaseKey = (name: string): string => `${leasesPrefix}${name}`;

const raceLost = 'was registered at the same time by another join; try again';

/**
 * Group-commit windows (bench/cluster: on etcd, 1,000 nodes and a placement burst). Renewals that
 * arrive within 50 ms share one store transaction: little against a lease period of seconds.
 * Record updates (labels, cordon, and the bench's binds) wait 2 ms, so concurrent ones share one.
 */
const renewalWindowMs = 50;
const updateWindowMs = 2;

export interface NodeTiming {
  leaseIntervalMs: number;
  leaseGraceMs: number;
}

export class NodeRegistry {
  private readonly cursor = new BlockCursor();
  private readonly cache: NodeCache<NodeRecord, LeaseRecord>;
  private readonly renewals: GroupCommit;
  private readonly updates: GroupCommit;

  constructor(
    private readonly store: StateStore,
    private readonly timing: NodeTiming,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new NodeCache(store);
    this.renewals = new GroupCommit(store, renewalWindowMs);
    this.updates = new GroupCommit(store, updateWindowMs);
  }

  /** The cache takes this process's committed writes from their answer (read-your-writes without waiting for the watch). */
  private committed(ops: TxnOp[], revision: number): void {
    for (const op of ops) if (op.type !== 'get') this.cache.wrote(op.key, revision, op.type === 'put' ? op.value : undefined);
  }

  /** Stops the cache's watches. */
  close(): void {
    this.cache.close();
  }

  /** Registers (or re-registers, from the same machine) a node; the token was checked by the caller. */
  async join(req: JoinRequest, from: string): Promise<JoinAnswer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.joinOnce(req, from);
      } catch (e) {
        // The race was lost to this machine's own earlier join (its client gave up after a 503,
        // but the store applied it): join again over it, as a rejoin from the same machine.
        if (!(e instanceof AlreadyExists) || !e.message.endsWith(raceLost) || attempt >= 2) throw e;
        if ((await this.store.get<NodeRecord>(nodeKey(req.name)))?.value.machineId !== req.machineId) throw e;
      }
    }
  }

  private async joinOnce(req: JoinRequest, from: string): Promise<JoinAnswer> {
    const old = await this.store.get<NodeRecord>(nodeKey(req.name));
    if (old && old.value.machineId !== req.machineId) {
      throw new AlreadyExists(`node ${req.name} is already registered by another machine: remove it first with \`llmos node rm ${req.name}\` on the server, or join with another --node-name`);
    }
    const had = old?.value.podSubnet;
    const asked = req.podSubnet ?? had;
    if (asked !== undefined) {
      const subnet = canonicalCidr(asked);
      if (!subnet) throw new InvalidArgument(`pod subnet ${JSON.stringify(asked)} is not an IPv4 CIDR between /8 and /30`);
      const r = await this.claim(req, from, old, subnet);
      if (r.answer) return r.answer;
      throw new InvalidArgument(`pod subnet ${subnet} overlaps node ${r.holder.node}'s ${r.holder.subnet}: give this node another modules.network.subnet`);
    }
    // None asked nor held: probe the range's /24s from the cursor; each probe is the join's own transaction.
    for (const subnet of this.cursor.candidates()) {
      const r = await this.claim(req, from, old, subnet);
      if (r.answer) return r.answer;
    }
    throw new InvalidArgument(`no free /${POD_SUBNET_PREFIX} left in the cluster pod range ${CLUSTER_POD_CIDR}`);
  }

  /**
   * One transaction: the node record (created if absent, or replaced if unchanged since read), its
   * lease, and the subnet's index blocks, each created only if absent (those of the subnet it
   * already had are its own). A taken block answers who holds it, from the failure branch's reads.
   */
  private async claim(req: JoinRequest, from: string, old: KeyValue<NodeRecord> | undefined, podSubnet: string): Promise<{ answer: JoinAnswer } | { answer?: undefined; holder: SubnetClaim }> {
    const blocks = subnetBlocks(podSubnet);
    if ('error' in blocks) throw new InvalidArgument(blocks.error);
    const own = new Set(heldBlocks(old?.value.podSubnet));
    const fresh = [...blocks.keys, ...blocks.absent].filter((k) => !own.has(k));
    // A /24 claim: no smaller subnet of another node inside it (subnetBlocks says why this is a read).
    for (const prefix of blocks.probes) {
      const other = (await this.store.list<SubnetClaim>(prefix, { limit: 8 })).items.find((kv) => !own.has(kv.key) && kv.key !== prefix + '0');
      if (other) return { holder: other.value };
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
      podSubnet,
    };
    const claim: SubnetClaim = { node: req.name, subnet: podSubnet };
    // Created only if absent, or replaced only if unchanged since read: two joins racing for one name cannot both win.
    const success: TxnOp[] = [
      { type: 'put', key: nodeKey(req.name), value: rec },
      { type: 'put', key: leaseKey(req.name), value: { holder: req.name, renewTime: new Date(this.now()).toISOString() } satisfies LeaseRecord },
      // Rewritten when already its own too: that also indexes a subnet recorded before the index existed.
      ...blocks.keys.map((key) => ({ type: 'put' as const, key, value: claim })),
      ...[...own].filter((k) => !blocks.keys.includes(k)).map((key) => ({ type: 'delete' as const, key })),
    ];
    const r = await this.store.txn({
      compare: [old ? { key: nodeKey(req.name), target: 'modRevision', value: old.modRevision } : { key: nodeKey(req.name), target: 'exists', value: false }, ...fresh.map((key) => ({ key, target: 'exists' as const, value: false }))],
      success,
      failure: [{ type: 'get', key: nodeKey(req.name) }, ...fresh.map((key) => ({ type: 'get' as const, key }))],
    });
    if (r.succeeded) this.committed(success, r.revision);
    if (r.succeeded) return { answer: { name: req.name, credential: `${req.name}.${secret}`, leaseIntervalMs: this.timing.leaseIntervalMs, podSubnet } };
    const [node, ...taken] = r.results;
    if (old ? node?.modRevision !== old.modRevision : node !== undefined) throw new AlreadyExists(`node ${req.name} ${raceLost}`);
    const holder = taken.find((kv) => kv !== undefined)?.value as SubnetClaim | undefined;
    return { holder: holder ?? { node: '?', subnet: podSubnet } };
  }

  /**
   * The node a credential (`<name>.<secret>`) belongs to; Unauthenticated otherwise. From the
   * cache, or (fresh: true, or not there yet: joined through another server) from the store.
   */
  async authenticate(credential: string, fresh = false): Promise<{ rec: NodeRecord; modRevision: number }> {
    const dot = credential.indexOf('.');
    const name = credential.slice(0, dot);
    const ok = (kv: KeyValue<NodeRecord> | undefined): kv is KeyValue<NodeRecord> => !!kv && secretMatches(credential.slice(dot + 1), kv.value.credentialHash);
    let kv = dot > 0 && !fresh ? await this.cache.node(name) : undefined;
    if (!ok(kv) && dot > 0) kv = await this.store.get<NodeRecord>(nodeKey(name));
    if (!ok(kv)) {
      throw new Unauthenticated(`node ${name || '?'} is not registered with this credential (removed with llmos node rm, or joined again elsewhere): restart the agent to join again`);
    }
    return { rec: kv.value, modRevision: kv.modRevision };
  }

  /** One transaction per heartbeat (group-committed with others), on the cached record's revision; a stale one is read again once. */
  async renew(credential: string, report: NodeReport): Promise<{ renewTime: string; leaseIntervalMs: number }> {
    for (let attempt = 0; ; attempt++) {
      const { rec, modRevision } = await this.authenticate(credential, attempt > 0);
      const renewTime = new Date(this.now()).toISOString();
      const ops = [{ type: 'put' as const, key: leaseKey(rec.name), value: { holder: rec.name, renewTime } satisfies LeaseRecord }];
      // The node record is rewritten only when what the agent reports changed (images, allocations).
      if (JSON.stringify(rec.report) !== JSON.stringify(report)) ops.push({ type: 'put', key: nodeKey(rec.name), value: { ...rec, report } as never });
      const r = await this.renewals.submit({ compare: [{ key: nodeKey(rec.name), target: 'modRevision', value: modRevision }], success: ops });
      if (r.succeeded) this.committed(ops, r.revision);
      if (r.succeeded) return { renewTime, leaseIntervalMs: this.timing.leaseIntervalMs };
      if (attempt >= 1) throw new Conflict(`node ${rec.name} changed during the renewal; the next one retries`);
    }
  }

  private view(rec: NodeRecord, lease: LeaseRecord | undefined): NodeView {
    const cond = nodeCondition(lease ? Date.parse(lease.renewTime) : null, this.now(), this.timing.leaseGraceMs);
    const age = cond.heartbeatAgeMs;
    return {
      name: rec.name,
      status: cond.status,
      notReadySince: cond.notReadySince === null ? null : new Date(cond.notReadySince).toISOString(),
      unschedulable: rec.unschedulable,
      draining: !!rec.draining,
      roles: rec.roles,
      labels: rec.labels,
      taints: rec.taints,
      zone: rec.labels[zoneLabel] ?? '',
      cloud: rec.labels[cloudLabel] ?? '',
      address: rec.address,
      podSubnet: rec.podSubnet ?? '',
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
    return (await this.cache.all()).map(({ node, lease }) => this.view(node.value, lease));
  }

  /** From the cache (fresh: from the store, after a compare failed on the cached revision). */
  private async record(name: string, fresh = false): Promise<{ rec: NodeRecord; modRevision: number }> {
    const kv = (fresh ? undefined : await this.cache.node(name)) ?? await this.store.get<NodeRecord>(nodeKey(name));
    if (!kv) throw new NotFound(`no node ${name} (see llmos nodes)`);
    return { rec: kv.value, modRevision: kv.modRevision };
  }

  async get(name: string): Promise<NodeView> {
    const { rec } = await this.record(name);
    return this.view(rec, await this.cache.lease(name));
  }

  async update(name: string, patch: NodePatch): Promise<NodeView> {
    for (let attempt = 0; ; attempt++) {
      const { rec, modRevision } = await this.record(name, attempt > 0);
      const labels = { ...rec.labels };
      for (const [k, v] of Object.entries(patch.labels ?? {})) if (v === null) delete labels[k]; else labels[k] = v;
      const removed = new Set([...(patch.removeTaints ?? []), ...(patch.addTaints ?? []).map((t) => t.key)]);
      const taints = [...rec.taints.filter((t) => !removed.has(t.key)), ...(patch.addTaints ?? [])];
      const next: NodeRecord = { ...rec, labels, taints, unschedulable: patch.draining ? true : patch.unschedulable ?? rec.unschedulable };
      // Uncordoning ends a drain; draining implies cordoned.
      next.draining = patch.draining ?? (patch.unschedulable === false ? false : rec.draining);
      const r = await this.updates.submit({ compare: [{ key: nodeKey(name), target: 'modRevision', value: modRevision }], success: [{ type: 'put', key: nodeKey(name), value: next }] });
      if (r.succeeded) {
        this.cache.wrote(nodeKey(name), r.revision, next);
        return await this.get(name);
      }
      // A heartbeat rewrote the record in between: read it again (bounded).
      if (attempt >= 4) throw new Conflict(`node ${name} kept changing during the update; try again`);
    }
  }

  /** Deletes the node record, its lease and its pod subnet's index blocks (the subnet is free again). */
  async remove(name: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { rec, modRevision } = await this.record(name, attempt > 0);
      const blocks = heldBlocks(rec.podSubnet);
      const success: TxnOp[] = [{ type: 'delete', key: nodeKey(name) }, { type: 'delete', key: leaseKey(name) }, ...blocks.map((key) => ({ type: 'delete' as const, key }))];
      const r = await this.store.txn({ compare: [{ key: nodeKey(name), target: 'modRevision', value: modRevision }], success });
      if (r.succeeded) return this.committed(success, r.revision);
      // A heartbeat rewrote the record in between: read it again (bounded).
      if (attempt >= 4) throw new Conflict(`node ${name} kept changing during its removal; try again`);
    }
  }

  /** Indexes the pod subnets of node records written before the index existed (once, at start). */
  async backfillSubnetIndex(): Promise<number> {
    return backfillIndex(this.store, (await this.cache.all()).map(({ node }) => node.value));
  }
}
