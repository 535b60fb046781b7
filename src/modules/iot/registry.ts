// Device models and devices in the state store, mirrored in memory (the MQTT path reads them per
// message). Keys: /iot/models/NAME, /iot/devices/NAME (with the password hash), /iot/twins/NAME
// (desired and reported state with their versions). Each record carries its own versions, so an
// edge node holding a copy can sync it to the server later by comparing versions.
import { Mutex } from 'async-mutex';
import type { StateStore } from '../../contracts/state-store.js';
import { modelCreateSchema, deviceCreateSchema, type DeviceCreate, type DeviceInfo, type ModelCreate, type ModelInfo, type TwinValue } from '../../contracts/iot.js';
import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound } from '../../kernel/errors.js';
import { checkModel } from './values.js';

export const MODELS = '/iot/models/';
export const DEVICES = '/iot/devices/';
export const TWINS = '/iot/twins/';

export interface DeviceRecord {
  name: string;
  model: string;
  node: string;
  labels: Record<string, string>;
  createdAt: string;
  /** mosquitto $7$ hash; absent until `credentials` is first asked for. */
  passwordHash?: string;
  /** The client certificate issued last (TLS), to revoke when it is replaced or the device removed. */
  cert?: { serial: string; notAfter: string };
}

export interface TwinRecord {
  desired: Record<string, TwinValue>;
  desiredVersion: number;
  reported: Record<string, TwinValue>;
  reportedVersion: number;
  lastSeen: number | null;
  online: boolean;
}

export const emptyTwin = (): TwinRecord => ({ desired: {}, desiredVersion: 0, reported: {}, reportedVersion: 0, lastSeen: null, online: false });

/** Batches of at most this many puts per store transaction (SQLite handles 10,000 in one, etcd does not). */
const TXN_OPS = 500;

export class Registry {
  readonly models = new Map<string, ModelInfo>();
  readonly devices = new Map<string, DeviceRecord>();
  readonly twins = new Map<string, TwinRecord>();
  readonly lock = new Mutex();

  constructor(private readonly store: StateStore, private readonly now: () => number = Date.now) {}

  async load(): Promise<void> {
    const [m, d, t] = await Promise.all([this.store.list<ModelInfo>(MODELS), this.store.list<DeviceRecord>(DEVICES), this.store.list<TwinRecord>(TWINS)]);
    for (const kv of m.items) this.models.set(kv.value.name, kv.value);
    for (const kv of d.items) this.devices.set(kv.value.name, kv.value);
    for (const kv of t.items) this.twins.set(kv.key.slice(TWINS.length), { ...kv.value, online: false });
  }

  /** Validates a model (throws InvalidArgument); does not store it. */
  parseModel(input: ModelCreate): ModelInfo {
    const r = modelCreateSchema.safeParse(input);
    if (!r.success) throw new InvalidArgument(`device model: ${r.error.issues.map((i) => `${i.path.join('.') || 'model'}: ${i.message}`).join('; ')}`);
    const why = checkModel(r.data.properties);
    if (why) throw new InvalidArgument(`device model ${r.data.name}: ${why}`);
    return { name: r.data.name, properties: r.data.properties, labels: r.data.labels ?? {}, createdAt: new Date(this.now()).toISOString() };
  }

  async putModel(m: ModelInfo, opts: { replace?: boolean } = {}): Promise<ModelInfo> {
    const old = this.models.get(m.name);
    if (old && !opts.replace) throw new AlreadyExists(`device model ${m.name} already exists`);
    const v = old ? { ...m, createdAt: old.createdAt } : m;
    await this.store.put(MODELS + m.name, v);
    this.models.set(m.name, v);
    return v;
  }

  model(name: string): ModelInfo {
    const m = this.models.get(name);
    if (!m) throw new NotFound(`no such device model: ${name}`);
    return m;
  }

  async removeModel(name: string): Promise<void> {
    this.model(name);
    const users = [...this.devices.values()].filter((d) => d.model === name);
    if (users.length) throw new FailedPrecondition(`device model ${name} is used by ${users.length} device(s), e.g. ${users[0]!.name}`);
    await this.store.delete(MODELS + name);
    this.models.delete(name);
  }

  /** Validates devices (throws InvalidArgument naming the first bad one). */
  parseDevices(ds: unknown[], opts: { replace?: boolean } = {}): DeviceRecord[] {
    const seen = new Set<string>();
    const now = new Date(this.now()).toISOString();
    return ds.map((raw, i) => {
      const r = deviceCreateSchema.safeParse(raw);
      const which = (raw as { name?: unknown })?.name ?? `#${i + 1}`;
      if (!r.success) throw new InvalidArgument(`device ${String(which)}: ${r.error.issues.map((x) => `${x.path.join('.') || 'device'}: ${x.message}`).join('; ')}`);
      const d: DeviceCreate = r.data;
      if (seen.has(d.name)) throw new InvalidArgument(`device ${d.name} is given twice`);
      seen.add(d.name);
      if (!this.models.has(d.model)) throw new InvalidArgument(`device ${d.name}: no such device model ${d.model}`);
      const old = this.devices.get(d.name);
      if (old && !opts.replace) throw new AlreadyExists(`device ${d.name} already exists`);
      return { name: d.name, model: d.model, node: d.node ?? '', labels: d.labels ?? {}, createdAt: old?.createdAt ?? now, ...(old?.passwordHash ? { passwordHash: old.passwordHash } : {}) };
    });
  }

  async putDevices(recs: DeviceRecord[]): Promise<void> {
    for (let i = 0; i < recs.length; i += TXN_OPS) {
      const chunk = recs.slice(i, i + TXN_OPS);
      await this.store.txn({ compare: [], success: chunk.map((r) => ({ type: 'put' as const, key: DEVICES + r.name, value: r })) });
      for (const r of chunk) this.devices.set(r.name, r);
    }
  }

  device(name: string): DeviceRecord {
    const d = this.devices.get(name);
    if (!d) throw new NotFound(`no such device: ${name}`);
    return d;
  }

  twin(name: string): TwinRecord {
    let t = this.twins.get(name);
    if (!t) this.twins.set(name, (t = emptyTwin()));
    return t;
  }

  async saveTwin(name: string): Promise<void> {
    if (!this.devices.has(name)) return; // removed meanwhile
    const t = this.twin(name);
    await this.store.put(TWINS + name, t);
  }

  async removeDevice(name: string): Promise<void> {
    this.device(name);
    await this.store.txn({ compare: [], success: [{ type: 'delete', key: DEVICES + name }, { type: 'delete', key: TWINS + name }] });
    this.devices.delete(name);
    this.twins.delete(name);
  }

  info(d: DeviceRecord): DeviceInfo {
    const t = this.twins.get(d.name) ?? emptyTwin();
    const delta: Record<string, TwinValue> = {};
    for (const [k, v] of Object.entries(t.desired)) if (t.reported[k] !== v) delta[k] = v;
    return {
      name: d.name,
      model: d.model,
      node: d.node,
      labels: { ...d.labels },
      createdAt: d.createdAt,
      reported: { ...t.reported },
      desired: { ...t.desired },
      delta,
      desiredVersion: t.desiredVersion,
      reportedVersion: t.reportedVersion,
      online: t.online,
      lastSeen: t.lastSeen === null ? null : new Date(t.lastSeen).toISOString(),
    };
  }
}
