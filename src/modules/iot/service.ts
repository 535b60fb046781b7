// The iot module's API: the registry's life cycle (with the broker's password file rewritten and
// reloaded on every credentials change), desired state published retained and versioned, and
// telemetry queries. Message handling is in ingest.ts, manifests in manifests.ts.
import { rename, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { BrokerInfo, DeviceCredentials, DeviceEvent, DeviceInfo, DeviceTelemetry, IotApi, ModelCreate, ModelInfo } from '../../contracts/iot.js';
import type { SeriesStoreHandle } from '../../contracts/monitor.js';
import { InvalidArgument, Unavailable } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import type { BrokerFiles, ManagedBroker } from './broker.js';
import { Ingest, TELEMETRY_SERIES } from './ingest.js';
import type { Link } from './link.js';
import { applyIotManifests } from './manifests.js';
import { aclFile, hashPassword, newPassword, passwordFile } from './passwd.js';
import type { Registry } from './registry.js';
import { checkObject } from './values.js';

export const desiredTopic = (name: string): string => `devices/${name}/twin/desired`;

export interface ServiceDeps {
  reg: Registry;
  log: Logger;
  series?: SeriesStoreHandle;
  /** The managed broker and its files, or undefined with an external broker (--mqtt-url). */
  broker?: ManagedBroker;
  files?: BrokerFiles;
  url: string;
  superuser: { username: string; password: string };
  now?: () => number;
}

export type Listener = (ev: DeviceEvent, values: Record<string, unknown>, device: DeviceInfo) => void;

export class IotService implements IotApi {
  link?: Link;
  readonly ingest: Ingest;
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;

  /** The managed broker (once started) and its URL. */
  setBroker(b: ManagedBroker, url: string): void {
    this.d.broker = b;
    this.d.url = url;
  }

  get managedBroker(): ManagedBroker | undefined {
    return this.d.broker;
  }

  get url(): string {
    return this.d.url;
  }

  private activator?: () => Promise<void>;
  private activating?: Promise<void>;

  setActivator(fn: () => Promise<void>): void {
    this.activator = fn;
  }

  /** Starts the broker and the MQTT link once (the first device); a failure is retried at the next call. */
  activate(): Promise<void> {
    if (!this.activator) return Promise.resolve();
    this.activating ??= this.activator().catch((e: Error) => {
      this.activating = undefined;
      throw new Unavailable(`the MQTT broker is not available: ${e.message}`, { cause: e });
    });
    return this.activating;
  }

  constructor(private readonly d: ServiceDeps) {
    this.now = d.now ?? Date.now;
    this.ingest = new Ingest(d.reg, d.series, d.log, (ev) => this.emit(ev), this.now);
  }

  /** Rule triggers (the functions module's device triggers) listen here. */
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(ev: DeviceEvent): void {
    if (!this.listeners.size) return;
    const rec = this.d.reg.devices.get(ev.device);
    if (!rec) return;
    const values = { ...this.d.reg.twin(ev.device).reported, ...this.ingest.latest.get(ev.device) };
    const info = this.d.reg.info(rec);
    for (const l of this.listeners) {
      try {
        l(ev, values, info);
      } catch (e) {
        this.d.log.warn(`iot: device event listener failed: ${(e as Error).message}`);
      }
    }
  }

  /** Writes the password file and ACL for the managed broker (atomically) and reloads it. */
  async writeBrokerFiles(opts: { reload?: boolean } = {}): Promise<void> {
    const f = this.d.files;
    if (!f) return;
    const entries: Array<[string, string]> = [[this.d.superuser.username, hashPassword(this.d.superuser.password)]];
    for (const r of this.d.reg.devices.values()) if (r.passwordHash) entries.push([r.name, r.passwordHash]);
    faultPoint('iot.broker.passwd');
    await writeFile(f.passwd + '.tmp', passwordFile(entries), { mode: 0o600 });
    await rename(f.passwd + '.tmp', f.passwd);
    await writeFile(f.acl, aclFile(this.d.superuser.username), { mode: 0o600 });
    if (opts.reload) this.d.broker?.reload();
  }

  async createModel(m: ModelCreate): Promise<ModelInfo> {
    return this.d.reg.lock.runExclusive(() => this.d.reg.putModel(this.d.reg.parseModel(m)));
  }
  async listModels(): Promise<ModelInfo[]> {
    return [...this.d.reg.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  async getModel(name: string): Promise<ModelInfo> {
    return this.d.reg.model(name);
  }
  async removeModel(name: string): Promise<void> {
    await this.d.reg.lock.runExclusive(() => this.d.reg.removeModel(name));
  }

  async createDevices(ds: unknown[]): Promise<string[]> {
    if (!Array.isArray(ds) || !ds.length) throw new InvalidArgument('no devices given');
    if (ds.length > 100_000) throw new InvalidArgument(`${ds.length} devices in one request; at most 100000`);
    return this.d.reg.lock.runExclusive(async () => {
      const recs = this.d.reg.parseDevices(ds);
      await this.d.reg.putDevices(recs);
      return recs.map((r) => r.name);
    }).then(async (names) => (await this.activate(), names));
  }

  async listDevices(filter: { model?: string; labels?: Record<string, string> } = {}): Promise<DeviceInfo[]> {
    const out: DeviceInfo[] = [];
    for (const r of this.d.reg.devices.values()) {
      if (filter.model && r.model !== filter.model) continue;
      if (filter.labels && Object.entries(filter.labels).some(([k, v]) => r.labels[k] !== v)) continue;
      out.push(this.d.reg.info(r));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async getDevice(name: string): Promise<DeviceInfo> {
    return this.d.reg.info(this.d.reg.device(name));
  }

  async removeDevice(name: string): Promise<void> {
    await this.d.reg.lock.runExclusive(async () => {
      const had = !!this.d.reg.device(name).passwordHash;
      await this.d.reg.removeDevice(name);
      this.ingest.forget(name);
      // Clears the retained desired state so a device of the same name made later starts clean.
      await this.link?.publish(desiredTopic(name), '', { retain: true }).catch(() => undefined);
      if (had) await this.writeBrokerFiles({ reload: true });
    });
  }

  async rotateCredentials(name: string): Promise<DeviceCredentials> {
    this.d.reg.device(name);
    await this.activate();
    return this.d.reg.lock.runExclusive(async () => {
      const rec = this.d.reg.device(name);
      const password = newPassword();
      const next = { ...rec, passwordHash: hashPassword(password) };
      await this.d.reg.putDevices([next]);
      await this.writeBrokerFiles({ reload: true });
      return { username: name, password, url: this.d.url };
    });
  }

  async setDesired(name: string, props: Record<string, unknown>): Promise<DeviceInfo> {
    this.d.reg.device(name);
    await this.activate();
    return this.d.reg.lock.runExclusive(async () => {
      const rec = this.d.reg.device(name);
      const model = this.d.reg.model(rec.model);
      const c = checkObject(model.properties, props, { coerce: true, writable: true });
      if (!c.ok) throw new InvalidArgument(`device ${name}: ${c.reason}`);
      const twin = this.d.reg.twin(name);
      twin.desired = { ...twin.desired, ...c.values };
      twin.desiredVersion++;
      await this.d.reg.saveTwin(name);
      await this.publishDesired(name);
      return this.d.reg.info(rec);
    });
  }

  /** The desired state message: the whole desired object with its version (a device applies the highest version it saw). */
  desiredMessage(name: string): string {
    const t = this.d.reg.twin(name);
    return JSON.stringify({ version: t.desiredVersion, state: t.desired, time: new Date(this.now()).toISOString() });
  }

  publishDesired(name: string): Promise<void> {
    return this.link?.publish(desiredTopic(name), this.desiredMessage(name), { retain: true }) ?? Promise.resolve();
  }

  /** After a (re)connect: the broker may have restarted and lost its retained messages. */
  async republishAll(): Promise<void> {
    for (const [name, t] of this.d.reg.twins) if (t.desiredVersion > 0 && this.d.reg.devices.has(name)) await this.publishDesired(name).catch(() => undefined);
  }

  /** Writes the twins changed since the last flush (reported state and status are batched, not written per message). */
  async flush(): Promise<void> {
    const names = [...this.ingest.dirty];
    this.ingest.dirty.clear();
    for (const n of names) await this.d.reg.saveTwin(n);
  }

  async telemetry(name: string, range: { from?: number; to?: number } = {}): Promise<DeviceTelemetry> {
    const rec = this.d.reg.device(name);
    const model = this.d.reg.model(rec.model);
    const series: DeviceTelemetry['series'] = {};
    for (const p of model.properties) {
      const s = this.d.series?.get(TELEMETRY_SERIES, { device: name, property: p.name });
      if (s) series[p.name] = s.query(range.from, range.to);
    }
    return { device: name, series };
  }

  broker(): BrokerInfo {
    return { url: this.d.url, managed: !!this.d.broker, connected: !!this.link?.connected, restarts: this.d.broker?.restarts ?? 0, rejected: this.ingest.rejected, received: this.link?.received ?? 0 };
  }

  async apply(docs: unknown[], opts: { dryRun?: boolean } = {}) {
    const out = await applyIotManifests(this.d.reg, docs, opts);
    if (!opts.dryRun && this.d.reg.devices.size) await this.activate();
    return out;
  }
}
