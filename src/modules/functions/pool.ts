// The instances of one function: dispatch to a free slot, hold requests in a bounded queue while
// instances start (scale from zero never answers 503), replace instances that breached a limit,
// and let idle ones go when the keep-alive policy says so. Decisions are in scaling.ts.
import { randomBytes } from 'node:crypto';
import type { KeepAlivePolicy } from '../../contracts/policies.js';
import type { EventBus } from '../../kernel/events.js';
import type { WorkloadTable } from '../../kernel/workloads.js';
import { parseKeepAlive } from '../../policies/keepalive.js';
import { InvocationFailed, failureStatus, type FailureReason } from './failures.js';
import type { FunctionLogs } from './logs.js';
import type { FunctionMetrics } from './metrics.js';
import type { Instance, InvokeRequest, InvokeResponse } from './runtime/instance.js';
import { WaitQueue } from './pool-queue.js';
import { DecisionCache } from './decision-cache.js';
import { instancesToReclaim, instancesToStart, prewarmEvent, reapEvent, scaleOutEvent } from './scaling.js';
import { keepAliveHints, type FunctionSpec } from './spec.js';
import type { InstanceInfo, PoolStats } from '../../contracts/functions.js';

export type { InstanceInfo, PoolStats };

export interface PoolDeps {
  startInstance(spec: FunctionSpec, id: string): Promise<Instance>;
  metrics: FunctionMetrics;
  logs: FunctionLogs;
  events: EventBus;
  workloads: WorkloadTable;
  now(): number;
}

interface Slot {
  id: string;
  version: number;
  state: 'starting' | 'ready';
  inst?: Instance;
  inflight: number;
  startedAt: number;
  lastUsedAt: number;
  expiresAt: number;
  served: number;
}

/** Back-off after a failed start before the pool tries again to reach its floor. */
const FLOOR_RETRY_MS = 5_000;

export class FunctionPool {
  private readonly slots: Slot[] = [];
  private readonly queue = new WaitQueue<Slot>();
  private policy: KeepAlivePolicy;
  private kaState: unknown;
  private prewarm?: { at: number; keepMs: number };
  private floorRetryAt = 0;
  private closed = false;
  private desired: number | undefined;
  private readonly starting = new Set<Promise<unknown>>();
  private counts = { invocations: 0, errors: 0, coldStarts: 0, arrivals: 0 };
  private lastError?: string;
  private sample = { at: 0, arrivals: 0 };
  private readonly decided = new DecisionCache();

  // Labelled metric children, made once: label hashing per request is measurable on the warm path.
  private readonly m;
  private readonly byStatus = new Map<number, { inc(): void }>();

  constructor(public spec: FunctionSpec, private readonly deps: PoolDeps) {
    const l = { function: spec.name };
    this.m = { queueWait: deps.metrics.queueWait.labels(l), duration: deps.metrics.duration.labels(l) };
    deps.metrics.inflight.set(spec.name, this.inflightNow);
    this.policy = parseKeepAlive(spec.keepAlive);
    this.kaState = this.policy.initialState(keepAliveHints(spec));
    this.sample.at = deps.now();
  }

  get name(): string {
    return this.spec.name;
  }

  /** The autoscaler's instance count, kept within [min, max]; undefined means min. */
  get floor(): number {
    return Math.min(this.spec.max, Math.max(this.spec.min, this.desired ?? 0));
  }

  setDesired(n: number | undefined): void {
    this.desired = n;
    this.pump();
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    if (this.closed) throw new InvocationFailed('shutting-down', `function ${this.name} is being removed`);
    const arrived = this.deps.now();
    this.counts.arrivals++;
    this.kaState = this.policy.observe(this.kaState, arrived);
    let slot = this.queue.length ? undefined : this.freeSlot();
    if (slot) slot.inflight++;
    else slot = await this.enqueue();
    this.m.queueWait.observe((this.deps.now() - arrived) / 1000);
    return this.run(slot, req);
  }

  private freeSlot(): Slot | undefined {
    // Oldest first: packing requests onto few instances lets the others idle out.
    for (const s of this.slots) if (s.state === 'ready' && s.version === this.spec.version && s.inflight < this.spec.concurrency && !s.inst!.dead) return s;
    return undefined;
  }

  private enqueue(): Promise<Slot> {
    if (this.queue.length >= this.spec.queue) {
      this.count('queue-full');
      throw new InvocationFailed('queue-full', `function ${this.name}: ${this.queue.length} requests already waiting (queue limit ${this.spec.queue})`, { retryAfter: 1 });
    }
    const waited = this.queue.wait(this.spec.queueWaitMs, () => {
      this.updateGauges();
      this.count('queue-timeout');
      return new InvocationFailed('queue-timeout', `function ${this.name}: no instance was free within the queue wait of ${this.spec.queueWaitMs} ms`, { retryAfter: Math.max(1, this.spec.queueWaitMs / 1000) });
    });
    this.pump();
    return waited;
  }

  private count(reason: FailureReason): void {
    this.counts.errors++;
    this.counts.invocations++;
    this.deps.metrics.errors.inc({ function: this.name, reason });
    this.deps.metrics.invocations.inc({ function: this.name, status: String(failureStatus(reason)) });
  }

  private async run(slot: Slot, req: InvokeRequest): Promise<InvokeResponse> {
    const { metrics } = this.deps;
    const t0 = this.deps.now();
    this.counts.invocations++;
    slot.served++;
    try {
      const res = await slot.inst!.invoke(req, { timeoutMs: this.spec.timeoutMs });
      let c = this.byStatus.get(res.status);
      if (!c) this.byStatus.set(res.status, (c = metrics.invocations.labels({ function: this.name, status: String(res.status) })));
      c.inc();
      if (res.status >= 500) this.counts.errors++;
      return res;
    } catch (e) {
      const reason = e instanceof InvocationFailed ? e.reason : 'handler-error';
      this.counts.errors++;
      this.lastError = (e as Error).message;
      metrics.errors.inc({ function: this.name, reason });
      metrics.invocations.inc({ function: this.name, status: String(failureStatus(reason)) });
      this.deps.logs.write(this.name, slot.id, 'error', (e as Error).message);
      throw e;
    } finally {
      const now = this.deps.now();
      this.m.duration.observe((now - t0) / 1000);
      slot.inflight--;
      slot.lastUsedAt = now;
      const d = this.decided.get(this.policy, this.kaState, now);
      if (d.prewarmMs > 0) {
        slot.expiresAt = now;
        this.prewarm = { at: now + d.prewarmMs, keepMs: d.keepAliveMs };
      } else slot.expiresAt = now + d.keepAliveMs;
      let retired = true;
      if (slot.inst!.dead) void this.retire(slot, slot.inst!.dead);
      else if (slot.version !== this.spec.version && slot.inflight === 0) void this.retire(slot, 'replaced by a new version');
      else retired = false;
      // Nothing waits and no instance went: the pump would find nothing to do (it allocates, per request).
      if (retired || this.queue.length || this.slots.length <= this.floor) this.pump();
    }
  }

  /** Hands free slots to waiting requests, then starts the instances the queue and floor need. */
  private pump(): void {
    if (this.closed) return;
    while (this.queue.length) {
      const s = this.freeSlot();
      if (!s) break;
      s.inflight++;
      this.queue.give(s);
    }
    const current = this.slots.filter((s) => s.version === this.spec.version);
    const ready = current.filter((s) => s.state === 'ready' && !s.inst!.dead);
    const shape = {
      ready: ready.length,
      freeSlots: ready.reduce((a, s) => a + Math.max(0, this.spec.concurrency - s.inflight), 0),
      starting: current.filter((s) => s.state === 'starting').length,
      queued: this.queue.length,
      concurrency: this.spec.concurrency,
      max: this.spec.max,
      floor: this.deps.now() >= this.floorRetryAt ? this.floor : 0,
    };
    const n = instancesToStart(shape);
    if (n > 0) this.deps.events.publish(scaleOutEvent(this.name, shape, n));
    for (let i = 0; i < n; i++) this.startOne();
    this.updateGauges();
  }

  private startOne(keepMs?: number): void {
    const now = this.deps.now();
    const id = `${this.name}-${randomBytes(4).toString('hex')}`;
    const slot: Slot = { id, version: this.spec.version, state: 'starting', inflight: 0, startedAt: now, lastUsedAt: now, expiresAt: now, served: 0 };
    this.slots.push(slot);
    this.deps.workloads.add({ id, type: 'function-instance', name: id, owner: `function/${this.name}`, state: 'starting', labels: { function: this.name, runtime: this.spec.runtime }, limits: { memory: this.spec.memory } });
    const started = this.deps.startInstance(this.spec, id);
    const settled = started.then(
      (inst) => (this.closed || !this.slots.includes(slot) ? inst.dispose('pool closed') : undefined),
      () => undefined,
    );
    this.starting.add(settled);
    void settled.finally(() => this.starting.delete(settled));
    started.then(
      (inst) => {
        if (this.closed || !this.slots.includes(slot)) return; // disposed by `settled` above
        const t = this.deps.now();
        slot.inst = inst;
        slot.state = 'ready';
        slot.lastUsedAt = t;
        slot.expiresAt = t + (keepMs ?? this.policy.decide(this.kaState, t).keepAliveMs);
        // Handed over before its start was confirmed: the waiting requests go out with the start.
        if (inst.ready) inst.ready.then(() => this.started(slot, inst, now), (e: unknown) => this.startFailed(slot, e));
        else this.started(slot, inst, now);
        this.pump();
      },
      (e: unknown) => this.startFailed(slot, e),
    );
  }

  private started(slot: Slot, inst: Instance, since: number): void {
    if (this.closed || !this.slots.includes(slot)) return;
    const t = this.deps.now();
    this.counts.coldStarts++;
    this.deps.metrics.coldStarts.inc({ function: this.name });
    this.deps.metrics.coldStartSeconds.observe({ function: this.name }, (t - since) / 1000);
    this.deps.workloads.transition(slot.id, 'running');
    this.deps.logs.write(this.name, slot.id, 'system', `instance started in ${(t - since).toFixed(1)} ms${inst.startDetail ? ` (${inst.startDetail})` : ''}`);
  }

  private startFailed(slot: Slot, e: unknown): void {
    const msg = (e as Error).message;
    const at = this.slots.indexOf(slot);
    if (at < 0) return; // retired by close() meanwhile
    this.slots.splice(at, 1);
    this.lastError = msg;
    this.floorRetryAt = this.deps.now() + FLOOR_RETRY_MS;
    const { id } = slot;
    this.deps.workloads.transition(id, 'failed', { reason: msg });
    this.deps.workloads.remove(id);
    this.deps.logs.write(this.name, id, 'error', `instance failed to start: ${msg}`);
    this.deps.events.publish({ topic: '/functions/start-failed', subject: `function/${this.name}`, message: `function ${this.name}: instance failed to start: ${msg}` });
    // With nothing else coming, the waiting requests would only time out: fail them now.
    if (!this.slots.some((s) => s.version === this.spec.version)) {
      const err = e instanceof InvocationFailed ? e : new InvocationFailed('start-failed', `function ${this.name} failed to start: ${msg}`, { cause: e });
      this.queue.rejectAll(err, () => this.count(err.reason));
    }
    this.pump();
  }

  private retire(slot: Slot, reason: string): Promise<void> {
    const i = this.slots.indexOf(slot);
    if (i < 0) return Promise.resolve();
    this.slots.splice(i, 1);
    const disposed = slot.inst?.dispose(reason).catch(() => undefined) ?? Promise.resolve();
    if (this.deps.workloads.has(slot.id)) {
      this.deps.workloads.transition(slot.id, 'exited', { reason });
      this.deps.workloads.remove(slot.id);
    }
    this.deps.logs.write(this.name, slot.id, 'system', `instance stopped: ${reason}`);
    this.updateGauges();
    return disposed;
  }

  /** Periodic: reclaim expired idle instances, pre-warm when the policy asked, keep the floor. */
  reap(): void {
    if (this.closed) return;
    const now = this.deps.now();
    for (const s of this.slots.filter((x) => x.state === 'ready' && x.inflight === 0 && x.version !== this.spec.version)) void this.retire(s, 'replaced by a new version');
    const live = this.slots.filter((s) => s.state === 'ready');
    const idle = live.filter((s) => s.inflight === 0).map((s) => ({ id: s.id, expiresAt: s.expiresAt, lastUsedAt: s.lastUsedAt }));
    for (const id of instancesToReclaim(idle, live.length, this.floor, now)) {
      this.deps.events.publish(reapEvent(this.name, id, now - idle.find((i) => i.id === id)!.lastUsedAt, this.policy.name, this.policy.decide(this.kaState, now).reason));
      void this.retire(this.slots.find((s) => s.id === id)!, `idle: keep-alive ${this.policy.name} expired`);
    }
    if (this.prewarm && now >= this.prewarm.at) {
      const keepMs = this.prewarm.keepMs;
      this.prewarm = undefined;
      if (!this.slots.length) {
        this.deps.events.publish(prewarmEvent(this.name, keepMs, this.policy.name));
        this.startOne(keepMs);
      }
    }
    this.pump();
  }

  update(spec: FunctionSpec): void {
    if (spec.keepAlive !== this.spec.keepAlive) {
      this.policy = parseKeepAlive(spec.keepAlive);
      this.kaState = this.policy.initialState(keepAliveHints(spec));
      this.decided.clear();
    }
    this.spec = spec;
    this.floorRetryAt = 0;
    this.reap();
  }

  instances(): InstanceInfo[] {
    const iso = (t: number) => new Date(t).toISOString();
    return this.slots.map((s) => ({ id: s.id, state: s.state, version: s.version, inflight: s.inflight, served: s.served, startedAt: iso(s.startedAt), lastUsedAt: iso(s.lastUsedAt), expiresAt: iso(s.expiresAt) }));
  }

  stats(): PoolStats {
    return {
      instances: this.slots.length,
      ready: this.slots.filter((s) => s.state === 'ready').length,
      starting: this.slots.filter((s) => s.state === 'starting').length,
      inflight: this.slots.reduce((a, s) => a + s.inflight, 0),
      queued: this.queue.length,
      invocations: this.counts.invocations,
      errors: this.counts.errors,
      coldStarts: this.counts.coldStarts,
      lastError: this.lastError,
      keepAlive: this.policy.name,
      floor: this.floor,
    };
  }

  /** Requests per second since the previous call (for the autoscaler). */
  takeRps(): number {
    const now = this.deps.now();
    const dt = (now - this.sample.at) / 1000;
    const rps = dt > 0 ? (this.counts.arrivals - this.sample.arrivals) / dt : 0;
    this.sample = { at: now, arrivals: this.counts.arrivals };
    return rps;
  }

  /** Bytes held by the ready instances. */
  async memoryBytes(): Promise<number> {
    const sizes = await Promise.all(this.slots.map((s) => s.inst?.memoryBytes().catch(() => 0) ?? 0));
    return sizes.reduce((a, b) => a + b, 0);
  }

  private readonly inflightNow = (): number => this.slots.reduce((a, s) => a + s.inflight, 0);
  private readonly shown = { queued: -1, ready: -1, starting: -1 }; // gauges are set only when changed: this runs per request

  private updateGauges(): void {
    const m = this.deps.metrics;
    const ready = this.slots.reduce((a, s) => a + (s.state === 'ready' ? 1 : 0), 0);
    const [starting, v] = [this.slots.length - ready, this.shown];
    if (v.queued !== this.queue.length) m.queued.set({ function: this.name }, (v.queued = this.queue.length));
    if (v.ready !== ready) m.instances.set({ function: this.name, state: 'ready' }, (v.ready = ready));
    if (v.starting !== starting) m.instances.set({ function: this.name, state: 'starting' }, (v.starting = starting));
  }

  async close(reason: string): Promise<void> {
    this.closed = true;
    if (this.deps.metrics.inflight.get(this.name) === this.inflightNow) this.deps.metrics.inflight.delete(this.name);
    this.queue.rejectAll(new InvocationFailed('shutting-down', `function ${this.name}: ${reason}`));
    await Promise.all([...this.slots].map((s) => this.retire(s, reason)));
    // Instances still starting are disposed by startOne when they arrive; wait for them too.
    await Promise.all([...this.starting]);
  }
}

