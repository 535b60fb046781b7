// What devices send: reported twin state (validated all or nothing against the model; a bad
// message leaves the twin as it was), telemetry (each valid numeric property into its bounded
// series), and status ("online" / "offline", the device's retained birth message and LWT). The
// broker's ACL guarantees a message on devices/NAME/... came from device NAME (or the module).
import type { Logger } from 'pino';
import type { DeviceEvent, TwinValue } from '../../contracts/iot.js';
import type { SeriesStoreHandle } from '../../contracts/monitor.js';
import type { Channel } from './link.js';
import type { Registry } from './registry.js';
import { checkObject, checkValue } from './values.js';

export const TELEMETRY_SERIES = 'device_telemetry';
const MAX_PAYLOAD = 64 * 1024;

export class Ingest {
  rejected = 0;
  telemetry = 0;
  /** Latest telemetry per device and property (rules and Prometheus read it). */
  readonly latest = new Map<string, Record<string, TwinValue>>();
  /** Twins changed since the last flush to the store. */
  readonly dirty = new Set<string>();
  private logBudget = { at: 0, left: 20 };

  constructor(
    private readonly reg: Registry,
    private readonly series: SeriesStoreHandle | undefined,
    private readonly log: Logger,
    private readonly onEvent: (ev: DeviceEvent) => void,
    private readonly now: () => number = Date.now,
    private readonly maxSeries = 50_000,
  ) {}

  private seriesCount = 0;
  /** Last point time per series: the series keeps times strictly increasing. */
  private readonly known = new Map<string, number>();

  /** Logs a refusal, at most 20 a minute (a misbehaving device must not flood the log). */
  private refuse(device: string, what: string, why: string): void {
    this.rejected++;
    const t = this.now();
    if (t - this.logBudget.at > 60_000) this.logBudget = { at: t, left: 20 };
    if (this.logBudget.left-- > 0) this.log.warn(`iot: ${what} from device ${device} rejected: ${why}`);
  }

  handle(device: string, channel: Channel, payload: Buffer): void {
    const d = this.reg.devices.get(device);
    if (!d) return this.refuse(device, channel, 'no such device');
    const model = this.reg.models.get(d.model);
    if (!model) return this.refuse(device, channel, `no such model ${d.model}`);
    const now = this.now();
    const twin = this.reg.twin(device);
    twin.lastSeen = now;
    if (channel === 'status') {
      const s = payload.toString('utf8').trim().toLowerCase();
      if (s !== 'online' && s !== 'offline') return this.refuse(device, 'status', 'status is "online" or "offline"');
      twin.online = s === 'online';
      this.dirty.add(device);
      return;
    }
    if (payload.length > MAX_PAYLOAD) return this.refuse(device, channel, `more than ${MAX_PAYLOAD} bytes`);
    let obj: unknown;
    try {
      obj = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.refuse(device, channel, 'not JSON');
    }
    // A device that sends anything is connected, whatever its retained status says.
    twin.online = true;
    if (channel === 'reported') {
      const c = checkObject(model.properties, obj);
      if (!c.ok) return this.refuse(device, 'reported state', c.reason);
      Object.assign(twin.reported, c.values);
      twin.reportedVersion++;
      this.dirty.add(device);
      for (const [property, value] of Object.entries(c.values)) this.onEvent({ device, model: d.model, property, value, time: now, source: 'reported' });
      return;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return this.refuse(device, 'telemetry', 'must be a JSON object keyed by property');
    this.telemetry++;
    let latest = this.latest.get(device);
    if (!latest) this.latest.set(device, (latest = {}));
    for (const [property, raw] of Object.entries(obj as Record<string, unknown>)) {
      const p = model.properties.find((x) => x.name === property);
      if (!p) {
        this.refuse(device, 'telemetry', `unknown property ${JSON.stringify(property)}`);
        continue;
      }
      const c = checkValue(p, raw);
      if (!c.ok) {
        this.refuse(device, 'telemetry', c.reason);
        continue;
      }
      latest[property] = c.value;
      const num = typeof c.value === 'boolean' ? Number(c.value) : c.value;
      if (typeof num === 'number' && this.series) this.addPoint(device, property, now, num);
      this.onEvent({ device, model: d.model, property, value: c.value, time: now, source: 'telemetry' });
    }
  }

  private addPoint(device: string, property: string, t: number, v: number): void {
    const key = `${device}\u0000${property}`;
    const last = this.known.get(key);
    if (last === undefined) {
      // Bounded: past maxSeries new series are refused (counted), existing ones keep recording.
      if (this.seriesCount >= this.maxSeries) return void this.rejected++;
      this.seriesCount++;
    }
    // Points of one series less than 1 ms apart are spaced 1 ms (the series drops equal times).
    const at = last !== undefined && t <= last ? last + 1 : t;
    this.known.set(key, at);
    this.series!.add(TELEMETRY_SERIES, { device, property }, at, v);
  }

  forget(device: string): void {
    this.latest.delete(device);
    this.dirty.delete(device);
    const n = this.series?.drop({ device }) ?? 0;
    for (const k of [...this.known.keys()]) if (k.startsWith(`${device}\u0000`)) this.known.delete(k);
    this.seriesCount = Math.max(0, this.seriesCount - n);
  }
}
