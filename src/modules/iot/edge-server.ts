// The server's side of the edge sync. Devices bound to an edge node (`--node N`) talk to that
// node's broker; the node syncs here about once a second while it can reach the server. The edge
// is the authority for what its devices report (reported state, status, telemetry); the server for
// what the registry holds (models, devices, password hashes) and desired state, except that a
// desired state the edge wrote itself (a rule's env.devices while cut off) has a higher version and
// wins. Telemetry points are applied once each by sequence number (/iot/edge/nodes/N keeps the
// highest applied), into the same series the single-node path fills. Device rules deployed here
// whose selector matches a device bound to the node go down with the answer, narrowed to that
// node's devices (`,node=N`): an edge device's rule fires on its node only (this server gets no
// events for edge devices, see IotService.emit), cut off or not.
import type { Logger } from 'pino';
import { matchSelector, parseSelector } from '../../contracts/iot-expr.js';
import type { EdgeRule, EdgeSyncAnswer, EdgeSyncRequest, TwinValue } from '../../contracts/iot.js';
import type { SeriesStoreHandle } from '../../contracts/monitor.js';
import type { StateStore } from '../../contracts/state-store.js';
import { TELEMETRY_SERIES } from './ingest.js';
import type { Registry } from './registry.js';

export const EDGE_NODES = '/iot/edge/nodes/';

export interface EdgeNodeRecord {
  /** The URL its devices are given, and the CA file on that node when its broker has TLS. */
  url: string;
  caFile?: string;
  /** Its certificate listener and its CA (PEM), when its broker has TLS: edge devices' client certificates. */
  certUrl?: string;
  ca?: string;
  /** The highest point sequence applied. */
  lastSeq: number;
  /** Points the node dropped (its buffer was full). */
  dropped: number;
  syncedAt: string;
}

export interface EdgeServerDeps {
  store: StateStore;
  reg: Registry;
  series?: SeriesStoreHandle;
  log: Logger;
  /** Latest telemetry per device (Prometheus reads it). */
  latest: Map<string, Record<string, TwinValue>>;
  now: () => number;
  /** The node copies of the device rules deployed here (the functions module's; none without it). */
  rules?: () => EdgeRule[];
  /** The cluster CA and CRL the nodes' certificate listeners trust (when this server issues device certificates). */
  trust?: () => Promise<{ ca: string; crl: string } | undefined>;
}

export class EdgeNodes {
  private readonly nodes = new Map<string, EdgeNodeRecord>();
  private loaded?: Promise<void>;
  /** Last point time per series written here: the series keeps times strictly increasing. */
  private readonly lastT = new Map<string, number>();

  constructor(private readonly d: EdgeServerDeps) {}

  private load(): Promise<void> {
    this.loaded ??= this.d.store.list<EdgeNodeRecord>(EDGE_NODES).then((l) => {
      for (const kv of l.items) this.nodes.set(kv.key.slice(EDGE_NODES.length), kv.value);
    });
    return this.loaded;
  }

  /** What an edge node reported of its broker (undefined: it has not synced yet). */
  async broker(node: string): Promise<{ url: string; caFile?: string; certUrl?: string; ca?: string } | undefined> {
    await this.load();
    const n = this.nodes.get(node);
    return n?.url ? { url: n.url, ...(n.caFile ? { caFile: n.caFile } : {}), ...(n.certUrl ? { certUrl: n.certUrl, ca: n.ca } : {}) } : undefined;
  }

  /** Called under the registry lock. */
  async sync(node: string, req: EdgeSyncRequest): Promise<EdgeSyncAnswer> {
    await this.load();
    const { reg } = this.d;
    const prev = this.nodes.get(node) ?? { url: '', lastSeq: -1, dropped: 0, syncedAt: '' };
    const own = (name: string) => reg.devices.get(name)?.node === node;

    for (const t of req.twins) {
      if (!own(t.name)) continue;
      const twin = reg.twin(t.name);
      const before = JSON.stringify(twin);
      Object.assign(twin, { reported: t.reported, reportedVersion: t.reportedVersion, lastSeen: t.lastSeen, online: t.online });
      if (t.desiredVersion > twin.desiredVersion) Object.assign(twin, { desired: t.desired, desiredVersion: t.desiredVersion });
      if (JSON.stringify(twin) !== before) await reg.saveTwin(t.name);
    }

    let lastSeq = prev.lastSeq;
    for (const [seq, device, property, t, v] of req.points) {
      if (seq <= prev.lastSeq) continue; // resent after a lost answer: applied already
      lastSeq = Math.max(lastSeq, seq);
      const rec = reg.devices.get(device);
      if (rec?.node !== node || !reg.models.get(rec.model)?.properties.some((p) => p.name === property && p.type !== 'string')) continue;
      this.addPoint(device, property, t, v);
      let latest = this.d.latest.get(device);
      if (!latest) this.d.latest.set(device, (latest = {}));
      latest[property] = v;
    }

    // A request held up in a partition can land after a newer one (TCP delivers what a closed
    // socket had sent): its smaller count is old news, not a reset.
    const dropped = Math.max(prev.dropped, req.dropped);
    if (req.dropped > prev.dropped) this.d.log.warn(`iot: edge node ${node} dropped ${req.dropped - prev.dropped} telemetry point(s) (its buffer was full; ${req.dropped} in all)`);
    const b = req.broker ?? prev; // a node without a broker sends none: the last one it named stays
    const next: EdgeNodeRecord = { url: b.url, ...(b.caFile ? { caFile: b.caFile } : {}), ...(b.certUrl ? { certUrl: b.certUrl } : {}), ...(b.ca ? { ca: b.ca } : {}), lastSeq, dropped, syncedAt: new Date(this.d.now()).toISOString() };
    // Written when something a restart must keep changed (not the time of every sync).
    if (next.url !== prev.url || next.caFile !== prev.caFile || next.certUrl !== prev.certUrl || next.ca !== prev.ca || next.lastSeq !== prev.lastSeq || next.dropped !== prev.dropped) await this.d.store.put(EDGE_NODES + node, next);
    this.nodes.set(node, next);

    const devices: EdgeSyncAnswer['devices'] = [];
    const desired: EdgeSyncAnswer['desired'] = [];
    const models = new Set<string>();
    for (const r of reg.devices.values()) {
      if (r.node !== node) continue;
      devices.push({ name: r.name, model: r.model, labels: r.labels, createdAt: r.createdAt, ...(r.passwordHash ? { passwordHash: r.passwordHash } : {}) });
      models.add(r.model);
      const t = reg.twins.get(r.name);
      if (t && t.desiredVersion > 0) desired.push({ name: r.name, desired: t.desired, desiredVersion: t.desiredVersion });
    }
    const trust = devices.length ? await this.d.trust?.() : undefined;
    return { ackSeq: lastSeq, models: [...models].flatMap((m) => reg.models.get(m) ?? []), devices, desired, rules: this.rulesFor(node, devices), ...(trust ? { trust } : {}) };
  }

  /** The rules that match a device bound to the node, each narrowed to the node's devices. */
  private rulesFor(node: string, devices: EdgeSyncAnswer['devices']): EdgeRule[] {
    if (!devices.length || !this.d.rules) return [];
    const out: EdgeRule[] = [];
    for (const r of this.d.rules()) {
      if (!r.onDevice) continue;
      const terms = parseSelector(r.onDevice); // checked at deploy
      if (devices.some((d) => matchSelector(terms, { ...d, node }))) out.push({ ...r, onDevice: `${r.onDevice},node=${node}` });
    }
    return out;
  }

  private addPoint(device: string, property: string, t: number, v: number): void {
    if (!this.d.series) return;
    const key = `${device}\u0000${property}`;
    const last = this.lastT.get(key);
    const at = last !== undefined && t <= last ? last + 1 : t;
    this.lastT.set(key, at);
    this.d.series.add(TELEMETRY_SERIES, { device, property }, at, v);
  }

  forget(device: string): void {
    for (const k of [...this.lastT.keys()]) if (k.startsWith(`${device}\u0000`)) this.lastT.delete(k);
  }
}
