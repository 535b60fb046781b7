// Server-side apply and delete of parsed manifests: validate everything (including host-port
// claims) first, then write all objects in one store transaction, so a bad or conflicting
// manifest changes nothing.
import type { ApplyAction, ApplyOutcome } from '../../contracts/services.js';
import type { KeyValue, StateStore, TxnOp, Compare } from '../../contracts/state-store.js';
import { Conflict, InvalidArgument } from '../../kernel/errors.js';
import { sameJson, shortHash } from './hash.js';
import { NODE_PORT_RANGE, type ParsedObject } from './manifest.js';
import { withSpec } from './records.js';
import { autoscalerKey, exposureKey, serviceKey, type AutoscalerRecord, type ExposureRecord, type ServiceRecord } from './types.js';

export type { ApplyAction, ApplyOutcome };

/**
 * What apply needs of the functions module (LLMOS kind Function). Functions are deployed through
 * it; apply keeps the hash of what it last deployed (at /applied/functions/NS/NAME) to say unchanged.
 */
export interface FunctionApplier {
  /** Whether the function exists; throws when functions cannot be applied now (module not loaded). */
  exists(name: string, namespace: string): Promise<boolean>;
  deploy(body: Record<string, unknown>): Promise<void>;
  remove(name: string, namespace: string): Promise<void>;
}

export const appliedFunctionKey = (ns: string, name: string): string => `/applied/functions/${ns}/${name}`;

export interface ApplyOptions {
  dryRun?: boolean;
  now?: () => Date;
  functions?: FunctionApplier;
  /** Called with every record written (for events and an immediate reconcile). */
  onChange?: (c: { key: string; kind: string; name: string; namespace: string; action: ApplyAction; rollout?: boolean; replicas?: number }) => void;
}

const keyOf = (o: ParsedObject): string | undefined => {
  const { namespace: ns, name } = o.ref;
  switch (o.target.type) {
    case 'service':
      return serviceKey(ns, name);
    case 'exposure':
      return exposureKey(ns, name);
    case 'autoscaler':
      return autoscalerKey(ns, name);
    default:
      return undefined;
  }
};

/** Host ports already claimed in the store, by claimant key. */
async function claims(store: StateStore): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const kv of (await store.list<ServiceRecord>('/services/')).items) for (const p of kv.value.spec.ports) if (p.hostPort) out.set(p.hostPort, kv.key);
  for (const kv of (await store.list<ExposureRecord>('/service-exposures/')).items) for (const p of kv.value.ports) if (p.hostPort) out.set(p.hostPort, kv.key);
  return out;
}

const describe = (key: string): string => {
  const [, kind, ns, name] = key.split('/');
  return `${kind === 'services' ? 'service' : 'Service (v1)'} ${ns === 'default' ? '' : `${ns}/`}${name}`;
};

export async function applyObjects(store: StateStore, objects: readonly ParsedObject[], opts: ApplyOptions = {}): Promise<ApplyOutcome[]> {
  const now = (opts.now ?? (() => new Date()))().toISOString();
  const dryRun = !!opts.dryRun;
  if (objects.some((o) => o.target.type === 'function') && !opts.functions) throw new InvalidArgument('kind Function needs the functions module, which is not loaded; nothing was changed');

  // Read everything first: the transaction checks that none of it changed meanwhile.
  const current = new Map<string, KeyValue | undefined>();
  for (const o of objects) {
    const k = keyOf(o);
    if (k) current.set(k, await store.get(k));
  }

  // Host ports: no two objects may claim one (other than an object re-claiming its own).
  const taken = await claims(store);
  const issues: string[] = [];
  const batch = new Map<number, string>();
  const claim = (port: number, key: string, path: string) => {
    const owner = batch.get(port) ?? taken.get(port);
    if (owner && owner !== key) issues.push(`${describe(key)}: ${path}: host port ${port} is already used by ${describe(owner)}`);
    batch.set(port, key);
  };
  const exposures = new Map<ParsedObject, ExposureRecord>();
  for (const o of objects) {
    const key = keyOf(o)!;
    if (o.target.type === 'service') o.target.spec.ports.forEach((p, i) => p.hostPort && claim(p.hostPort, key, `spec.ports[${i}].hostPort`));
    if (o.target.type === 'exposure') {
      // A NodePort Service without a nodePort keeps the one it was given before, else gets the lowest free one.
      const prev = current.get(key)?.value as ExposureRecord | undefined;
      const value: ExposureRecord = { ...o.target.value, ports: o.target.value.ports.map((p) => ({ ...p })) };
      value.ports.forEach((p, i) => {
        if (p.hostPort === undefined && value.type === 'NodePort') {
          const before = prev?.ports.find((q) => q.name === p.name && q.targetPort === p.targetPort)?.hostPort;
          p.hostPort = before ?? freeNodePort(taken, batch);
        }
        if (p.hostPort) claim(p.hostPort, key, `spec.ports[${i}].${value.type === 'NodePort' ? 'nodePort' : 'port'}`);
      });
      exposures.set(o, value);
    }
  }
  if (issues.length) throw new InvalidArgument(`${issues.join('; ')}; nothing was changed`);
  const fnExists = new Map<ParsedObject, boolean>();
  for (const o of objects) if (o.target.type === 'function') fnExists.set(o, await opts.functions!.exists(o.ref.name, o.ref.namespace));

  const ops: TxnOp[] = [];
  const compare: Compare[] = [];
  const outcomes: ApplyOutcome[] = new Array<ApplyOutcome>(objects.length);
  const changes: Array<Parameters<NonNullable<ApplyOptions['onChange']>>[0]> = [];
  const fnObjects: number[] = [];
  for (const [i, o] of objects.entries()) {
    const base = { apiVersion: o.ref.apiVersion, kind: o.ref.kind, name: o.ref.name, namespace: o.ref.namespace, warnings: o.warnings.map((w) => `${w.path}: ${w.message}`) };
    if (o.target.type === 'function') {
      fnObjects.push(i);
      continue;
    }
    const key = keyOf(o)!;
    const kv = current.get(key);
    compare.push(kv ? { key, target: 'modRevision', op: '=', value: kv.modRevision } : { key, target: 'exists', value: false });
    let value: unknown;
    let action: ApplyAction;
    let rollout = false;
    let replicas: number | undefined;
    if (o.target.type === 'service') {
      const c = withSpec(kv?.value as ServiceRecord | undefined, { name: o.ref.name, namespace: o.ref.namespace, labels: o.target.labels, spec: o.target.spec, source: o.target.source }, now);
      ({ action, rollout } = c);
      value = c.record;
      replicas = c.record.spec.replicas;
    } else {
      value = o.target.type === 'exposure' ? exposures.get(o)! : (o.target.value satisfies AutoscalerRecord);
      action = !kv ? 'created' : sameJson(kv.value, value) ? 'unchanged' : 'configured';
    }
    if (action !== 'unchanged') {
      ops.push({ type: 'put', key, value });
      changes.push({ key, kind: o.ref.kind, name: o.ref.name, namespace: o.ref.namespace, action, rollout, replicas });
    }
    outcomes[i] = { ...base, action, ...(rollout ? { detail: 'rolling update started' } : {}) };
  }

  if (!dryRun && ops.length) {
    const r = await store.txn({ compare, success: ops });
    if (!r.succeeded) throw new Conflict('objects changed while applying; nothing was changed, apply again');
    for (const c of changes) opts.onChange?.(c);
  }
  // Functions go through their own module after the LLMOS objects are in place.
  for (const i of fnObjects) {
    const o = objects[i]!;
    const body = (o.target as { body: Record<string, unknown> }).body;
    const key = appliedFunctionKey(o.ref.namespace, o.ref.name);
    const hash = shortHash(body);
    const exists = fnExists.get(o)!;
    const last = await store.get<{ hash: string }>(key);
    let action: ApplyAction = exists ? (last?.value.hash === hash ? 'unchanged' : 'configured') : 'created';
    if (!dryRun && action !== 'unchanged') {
      await opts.functions!.deploy(body);
      await store.put(key, { hash });
      opts.onChange?.({ key, kind: o.ref.kind, name: o.ref.name, namespace: o.ref.namespace, action });
    }
    outcomes[i] = { apiVersion: o.ref.apiVersion, kind: o.ref.kind, name: o.ref.name, namespace: o.ref.namespace, warnings: o.warnings.map((w) => `${w.path}: ${w.message}`), action };
  }
  return outcomes;
}

function freeNodePort(taken: Map<number, string>, batch: Map<number, string>): number {
  for (let p = NODE_PORT_RANGE[0]; p <= NODE_PORT_RANGE[1]; p++) if (!taken.has(p) && !batch.has(p)) return p;
  throw new InvalidArgument('no free node port left in 30000-32767');
}

export async function deleteObjects(store: StateStore, objects: readonly ParsedObject[], opts: ApplyOptions = {}): Promise<ApplyOutcome[]> {
  if (objects.some((o) => o.target.type === 'function') && !opts.functions) throw new InvalidArgument('kind Function needs the functions module, which is not loaded; nothing was changed');
  const outcomes: ApplyOutcome[] = [];
  const ops: TxnOp[] = [];
  const changes: Array<Parameters<NonNullable<ApplyOptions['onChange']>>[0]> = [];
  for (const o of objects) {
    const base = { apiVersion: o.ref.apiVersion, kind: o.ref.kind, name: o.ref.name, namespace: o.ref.namespace, warnings: [] as string[] };
    if (o.target.type === 'function') {
      const exists = await opts.functions!.exists(o.ref.name, o.ref.namespace);
      if (exists && !opts.dryRun) {
        await opts.functions!.remove(o.ref.name, o.ref.namespace);
        await store.delete(appliedFunctionKey(o.ref.namespace, o.ref.name));
        opts.onChange?.({ key: appliedFunctionKey(o.ref.namespace, o.ref.name), kind: o.ref.kind, name: o.ref.name, namespace: o.ref.namespace, action: 'deleted' });
      }
      outcomes.push({ ...base, action: exists ? 'deleted' : 'not found' });
      continue;
    }
    const key = keyOf(o)!;
    const exists = !!(await store.get(key));
    if (exists) {
      ops.push({ type: 'delete', key });
      changes.push({ key, kind: o.ref.kind, name: o.ref.name, namespace: o.ref.namespace, action: 'deleted' });
    }
    outcomes.push({ ...base, action: exists ? 'deleted' : 'not found' });
  }
  if (!opts.dryRun && ops.length) {
    await store.txn({ compare: [], success: ops });
    for (const c of changes) opts.onChange?.(c);
  }
  return outcomes;
}
