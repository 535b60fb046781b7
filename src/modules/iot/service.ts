// The iot module's API: the registry's life cycle (with the broker's password file rewritten and
// reloaded on every credentials change), desired state published retained and versioned, and
// telemetry queries. Message handling is in ingest.ts, manifests in manifests.ts.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { BrokerInfo, DeviceCredentials, DeviceEvent, DeviceInfo, DeviceTelemetry, EdgeRule, EdgeSyncAnswer, EdgeSyncRequest, IotApi, ModelCreate, ModelInfo } from '../../contracts/iot.js';
import type { StateStore } from '../../contracts/state-store.js';
import type { SeriesStoreHandle } from '../../contracts/monitor.js';
import { FailedPrecondition, InvalidArgument, Unavailable } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import type { ManagedBroker } from './broker.js';
import type { DeviceCerts } from './certs.js';
import { EdgeNodes } from './edge-server.js';
import { Ingest, TELEMETRY_SERIES } from './ingest.js';
import type { Link } from './link.js';
import { applyIotManifests } from './manifests.js';
import { aclFile, hashPassword, newPassword } from './passwd.js';
import type { DeviceRecord, Registry } from './registry.js';
import { checkObject } from './values.js';

export const desiredTopic = (name: string): string => `devices/${name}/twin/desired`;

export interface ServiceDeps {
  reg: Registry;
  log: Logger;
  series?: SeriesStoreHandle;
  /** The managed broker, or undefined with an external broker (--mqtt-url). */
  broker?: ManagedBroker;
  /** Device certificates and the CRL, when the managed broker has TLS. */
  certs?: DeviceCerts;
  /** An external broker's URL (--mqtt-url); the managed broker names its own. */
  url: string;
  superuser: { username: string; password: string };
  /** The node's store: the server keeps its edge nodes' sync state there. */
  store?: StateStore;
  now?: () => number;
}

export type Listener = (ev: DeviceEvent, values: Record<string, unknown>, device: DeviceInfo) => void;

export class IotService implements IotApi {
  link?: Link;
  readonly ingest: Ingest;
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;

  /** The managed broker, once started. */
  setBroker(b: ManagedBroker): void {
    this.d.broker = b;
  }

  get managedBroker(): ManagedBroker | undefined {
    return this.d.broker;
  }

  /** The URL devices are given. */
  get url(): string {
    return this.d.broker?.deviceUrl ?? this.d.url;
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
    this.edges = d.store && new EdgeNodes({ store: d.store, reg: d.reg, series: d.series, log: d.log, latest: this.ingest.latest, now: this.now, rules: () => this.ruleSource?.() ?? [], trust: async () => this.d.certs?.trustForNodes() });
  }

  private ruleSource?: () => EdgeRule[];

  provideEdgeRules(source: () => EdgeRule[]): () => void {
    this.ruleSource = source;
    return () => {
      if (this.ruleSource === source) this.ruleSource = undefined;
    };
  }

  /** The server's record of its edge nodes' syncs (undefined without a store). */
  private readonly edges?: EdgeNodes;
  /** This node's name when it is a cluster agent (set by the iot-edge module); '' otherwise. */
  nodeName = '';

  get registry(): Registry {
    return this.d.reg;
  }

  /** Whether a device talks to this node's broker: it names no node, or this one (else an edge node's). */
  isLocal(rec: DeviceRecord): boolean {
    return !rec.node || rec.node === this.nodeName;
  }

  async edgeSync(node: string, req: EdgeSyncRequest): Promise<EdgeSyncAnswer> {
    if (!this.edges) throw new FailedPrecondition('this node keeps no edge sync state');
    const edges = this.edges;
    return this.d.reg.lock.runExclusive(() => edges.sync(node, req));
  }

  /** The URL (and CA file) a device's credentials name: this node's broker, or its edge node's. */
  private async brokerFor(rec: DeviceRecord): Promise<{ url: string; caFile?: string }> {
    if (this.isLocal(rec)) return { url: this.url, ...(this.d.certs ? { caFile: this.d.certs.files.ca } : {}) };
    const b = await this.edges?.broker(rec.node);
    if (!b) throw new FailedPrecondition(`device ${rec.name} is bound to node ${rec.node}, whose iot module has not synced with this server yet (is the node joined and its iot module loaded?)`);
    return b;
  }

  /** Rule triggers (the functions module's device triggers) listen here. */
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(ev: DeviceEvent): void {
    if (!this.listeners.size) return;
    const rec = this.d.reg.devices.get(ev.device);
    // An edge node's device fires rules on that node only (its copy of the rule), never here too.
    if (!rec || !this.isLocal(rec)) return;
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

  /** Gives the managed broker the device passwords and the ACL, and waits until it has re-read them. */
  async syncBrokerUsers(): Promise<void> {
    const b = this.d.broker;
    if (!b) return;
    const entries: Array<[string, string]> = [[this.d.superuser.username, hashPassword(this.d.superuser.password)]];
    // An edge node's devices log in at that node's broker, not here.
    for (const r of this.d.reg.devices.values()) if (r.passwordHash && this.isLocal(r)) entries.push([r.name, r.passwordHash]);
    faultPoint('iot.broker.passwd');
    await b.setUsers(entries, aclFile(this.d.superuser.username));
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
      const rec = this.d.reg.device(name);
      const had = !!rec.passwordHash || !!rec.cert;
      await this.d.reg.removeDevice(name);
      if (rec.cert) await this.d.certs?.revoke(name, rec.cert.serial, rec.cert.notAfter);
      this.ingest.forget(name);
      this.edges?.forget(name);
      // Clears the retained desired state so a device of the same name made later starts clean.
      await this.link?.publish(desiredTopic(name), '', { retain: true }).catch(() => undefined);
      if (had) await this.syncBrokerUsers();
    });
  }

  async rotateCredentials(name: string, opts: { certificate?: boolean } = {}): Promise<DeviceCredentials> {
    this.d.reg.device(name);
    await this.activate();
    if (opts.certificate) return this.issueCertificate(name);
    return this.d.reg.lock.runExclusive(async () => {
      const rec = this.d.reg.device(name);
      const broker = await this.brokerFor(rec);
      const password = newPassword();
      const next = { ...rec, passwordHash: hashPassword(password) };
      await this.d.reg.putDevices([next]);
      // An edge device's new hash reaches its node's broker at the node's next sync (about a second).
      if (this.isLocal(rec)) await this.syncBrokerUsers();
      return { username: name, password, ...broker };
    });
  }

  /**
   * A new client certificate (shown once); the previous one is revoked. An edge device's is signed
   * by this server's (cluster) CA too and names its node's certificate listener, which trusts the
   * cluster CA and this server's CRL from its next sync (so a revocation reaches it then).
   */
  private async issueCertificate(name: string): Promise<DeviceCredentials> {
    const certs = this.d.certs;
    const rec0 = this.d.reg.device(name);
    const edge = this.isLocal(rec0) ? undefined : await this.edges?.broker(rec0.node);
    const url = this.isLocal(rec0) ? this.d.broker?.certUrl : edge?.certUrl;
    if (!certs || !url) {
      if (!this.isLocal(rec0) && certs) throw new FailedPrecondition(`device ${name} is bound to node ${rec0.node}, whose broker has no certificate listener${edge ? ' (its iot module has tls: false)' : ' reported yet (has it synced?)'}: use a password`);
      throw new FailedPrecondition(this.d.broker ? 'client certificates need the broker\'s TLS listeners (iot module config tls: true)' : 'client certificates are issued for the managed broker only (with --mqtt-url the broker\'s owner manages them)');
    }
    return this.d.reg.lock.runExclusive(async () => {
      const rec = this.d.reg.device(name);
      const c = await certs.issue(name);
      await this.d.reg.putDevices([{ ...rec, cert: { serial: c.serial, notAfter: c.notAfter } }]);
      if (rec.cert) await certs.revoke(name, rec.cert.serial, rec.cert.notAfter);
      await this.d.broker?.reload();
      if (edge) return { username: name, url, ...(edge.ca ? { ca: edge.ca } : {}), cert: c.cert, key: c.key };
      return { username: name, url, caFile: certs.files.ca, ca: await readFile(certs.files.ca, 'utf8'), cert: c.cert, key: c.key };
    });
  }

  /** On an edge node: what the sync reports of this node's broker (its certificate listener and CA when it has TLS). */
  async edgeBroker(): Promise<{ url: string; certUrl?: string; ca?: string } | undefined> {
    if (!this.d.broker && !this.link) return undefined;
    const certUrl = this.d.broker?.certUrl;
    this.ownCa ??= certUrl && this.d.certs ? await readFile(this.d.certs.files.ca, 'utf8') : undefined;
    return { url: this.url, ...(certUrl && this.ownCa ? { certUrl, ca: this.ownCa } : {}) };
  }

  private ownCa?: string;

  /** On an edge node: the cluster CA and CRL from the server, trusted by this broker's certificate listener. */
  async trustCluster(t: { ca: string; crl: string }): Promise<void> {
    if (this.d.certs && (await this.d.certs.setClusterTrust(t))) await this.d.broker?.reload();
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
    const rec = this.d.reg.devices.get(name);
    if (rec && !this.isLocal(rec)) return Promise.resolve(); // its edge node publishes it, from its next sync
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
    return { url: this.url, managed: !!this.d.broker, connected: !!this.link?.connected, restarts: this.d.broker?.restarts ?? 0, rejected: this.ingest.rejected, received: this.link?.received ?? 0 };
  }

  async apply(docs: unknown[], opts: { dryRun?: boolean } = {}) {
    const out = await applyIotManifests(this.d.reg, docs, opts);
    if (!opts.dryRun && this.d.reg.devices.size) await this.activate();
    return out;
  }
}
