// The live autoscaler: for each autoscaler object, on its period, read the target's metrics, ask
// the policy (the same pure function the simulator runs), apply the result, and record the
// decision with its reason.
import type { Logger } from 'pino';
import type { StateStore } from '../../contracts/state-store.js';
import type { ScaleTargetProvider } from '../../contracts/scaling.js';
import { NotFound, errorMessage } from '../../kernel/errors.js';
import type { EventBus } from '../../kernel/events.js';
import type { Reconciler } from '../../kernel/reconciler.js';
import type { Decision, ScalingInput } from '../../contracts/autoscaler.js';
import { scalingPolicy } from '../../policies/index.js';
import { parseAutoscalerSpec, policyConfig, type AutoscalerSpec } from './spec.js';

export type { Decision };

export interface ControllerDeps {
  store: StateStore;
  events: EventBus;
  reconciler: Reconciler;
  log: Logger;
  /** The provider for "service" or "function" targets, or undefined when that module is not loaded. */
  provider(kind: string): ScaleTargetProvider | undefined;
  /** Several servers on one etcd: whether this one is the elected leader (the only one that scales). */
  leading?: () => boolean;
  now?: () => number;
}

const SPEC = '/autoscalers/';
const STATE = '/autoscaler-state/';
const DECISIONS = '/autoscaler-decisions/';
const keepDecisions = 500;

export class AutoscalerController {
  private readonly specs = new Map<string, AutoscalerSpec>();
  private readonly history = new Map<string, Decision[]>();
  private readonly now: () => number;
  private unwatch?: () => void;

  constructor(private readonly d: ControllerDeps) {
    this.now = d.now ?? Date.now;
  }

  /** Loads every stored autoscaler and follows changes (HPA manifests applied by the services module land there too). */
  async start(): Promise<void> {
    const { items, revision } = await this.d.store.list(SPEC);
    for (const kv of items) this.track(kv.key, kv.value);
    this.unwatch = await this.d.store.watch(SPEC, revision, (e) => (e.type === 'put' ? this.track(e.kv.key, e.kv.value) : this.untrack(e.kv.key)));
  }

  stop(): void {
    this.unwatch?.();
    for (const key of this.specs.keys()) this.d.reconciler.unregister(`autoscaler${key}`);
    this.specs.clear();
  }

  private track(key: string, value: unknown): void {
    let spec: AutoscalerSpec;
    try {
      spec = parseAutoscalerSpec(value);
    } catch (e) {
      this.d.log.warn(`ignoring invalid autoscaler ${key}: ${errorMessage(e)}`);
      return;
    }
    const id = key.slice(SPEC.length - 1);
    this.specs.set(id, spec);
    this.d.reconciler.register(`autoscaler${id}`, async () => {
      if (this.d.leading?.() !== false) await this.tick(spec.namespace, spec.name);
    }, policyConfig(spec).periodMs);
  }

  private untrack(key: string): void {
    const id = key.slice(SPEC.length - 1);
    this.specs.delete(id);
    this.d.reconciler.unregister(`autoscaler${id}`);
  }

  async put(input: unknown): Promise<AutoscalerSpec> {
    const spec = parseAutoscalerSpec(input);
    await this.d.store.put(`${SPEC}${spec.namespace}/${spec.name}`, spec);
    this.track(`${SPEC}${spec.namespace}/${spec.name}`, spec);
    this.d.events.publish({ topic: '/autoscaler/configured', subject: spec.target, namespace: spec.namespace, message: `autoscaler ${spec.name}: ${spec.policy} on ${spec.metrics.map((m) => `${m.metric}=${m.target}`).join(',')}, ${spec.min}..${spec.max}` });
    return spec;
  }

  async remove(namespace: string, name: string): Promise<void> {
    const { deleted } = await this.d.store.delete(`${SPEC}${namespace}/${name}`);
    if (!deleted) throw new NotFound(`autoscaler ${namespace}/${name} not found`);
    this.untrack(`${SPEC}${namespace}/${name}`);
    await this.d.store.delete(`${STATE}${namespace}/${name}`);
    await this.d.store.delete(`${DECISIONS}${namespace}/${name}/`, { prefix: true });
  }

  list(namespace?: string): AutoscalerSpec[] {
    return [...this.specs.values()].filter((s) => !namespace || s.namespace === namespace);
  }

  get(namespace: string, name: string): AutoscalerSpec {
    const s = this.specs.get(`/${namespace}/${name}`);
    if (!s) throw new NotFound(`autoscaler ${namespace}/${name} not found`);
    return s;
  }

  /** Decisions, oldest first: this run's ticks in memory, else the recorded changes from the store. */
  async decisions(namespace: string, name: string, limit = 100): Promise<Decision[]> {
    this.get(namespace, name);
    const mem = this.history.get(`/${namespace}/${name}`);
    if (mem?.length) return mem.slice(-limit);
    const { items } = await this.d.store.list<Decision>(`${DECISIONS}${namespace}/${name}/`);
    return items.slice(-limit).map((kv) => kv.value);
  }

  /** One control step for one autoscaler. Returns the decision, or undefined when the target is not there. */
  async tick(namespace: string, name: string): Promise<Decision | undefined> {
    const spec = this.get(namespace, name);
    const [kind, targetName] = spec.target.split('/') as [string, string];
    const provider = this.d.provider(kind);
    if (!provider) return undefined;
    let inputs: ScalingInput;
    try {
      inputs = await provider.metrics(targetName, namespace);
    } catch (e) {
      this.d.log.debug(`autoscaler ${name}: no metrics for ${spec.target}: ${errorMessage(e)}`);
      return undefined;
    }
    const policy = scalingPolicy(spec.policy);
    const stateKey = `${STATE}${namespace}/${name}`;
    const config = policyConfig(spec);
    const prev = (await this.d.store.get(stateKey))?.value ?? policy.initialState(config);
    const now = this.now();
    const r = policy.recommend(inputs, prev, now, config);
    await this.d.store.put(stateKey, r.nextState); // persisted so a learned model survives restarts
    const decision: Decision = { time: new Date(now).toISOString(), target: spec.target, policy: spec.policy, inputs, before: inputs.replicas, after: r.desired, reason: r.reason, applied: true };
    if (r.desired !== inputs.replicas) {
      try {
        await provider.scale(targetName, r.desired, `${spec.policy}: ${r.reason}`, namespace);
      } catch (e) {
        decision.applied = false;
        decision.reason += ` (not applied: ${errorMessage(e)})`;
      }
      await this.d.store.put(`${DECISIONS}${namespace}/${name}/${String(now).padStart(15, '0')}`, decision);
      await this.trimStored(namespace, name);
      this.d.events.publish({ topic: '/autoscaler/scaled', subject: spec.target, namespace, message: `${spec.target} ${decision.before} -> ${decision.after}: ${decision.reason}`, data: { before: decision.before, after: decision.after, policy: spec.policy } });
    }
    const h = this.history.get(`/${namespace}/${name}`) ?? [];
    h.push(decision);
    if (h.length > 2000) h.splice(0, h.length - 2000);
    this.history.set(`/${namespace}/${name}`, h);
    return decision;
  }

  private async trimStored(namespace: string, name: string): Promise<void> {
    const { items } = await this.d.store.list(`${DECISIONS}${namespace}/${name}/`);
    if (items.length > keepDecisions)
      await this.d.store.txn({ compare: [], success: items.slice(0, items.length - keepDecisions).map((kv) => ({ type: 'delete' as const, key: kv.key })) });
  }
}
