// Registration of the iot module (kind llmos.iot.v1): device models, devices and their twins in the
// state store, over a real MQTT broker: by default a mosquitto it starts and supervises in its
// own directory (TLS listeners with the node's CA, per-device passwords or certificates, ACLs), or an existing broker
// (`mqttUrl` in the module config). Telemetry lives in the monitor's bounded series store.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Gauge } from 'prom-client';
import { Kinds } from '../../contracts/kinds.js';
import { iotKind, type IotApi } from '../../contracts/iot.js';
import type { MonitorApi } from '../../contracts/monitor.js';
import type { StateStore } from '../../contracts/state-store.js';
import { InvalidArgument, SkipModule } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { ManagedBroker, brokerFiles, type BrokerFiles, type BrokerListeners } from './broker.js';
import { DeviceCerts } from './certs.js';
import { Link } from './link.js';
import { Registry } from './registry.js';
import { IotService } from './service.js';

export interface IotConfig {
  /** An existing broker (mqtt://user:pass@host:port); '' = start a managed mosquitto. */
  mqttUrl: string;
  /** The managed broker's listener; port 0 = 1883 when free, else a free port, remembered in the store. */
  host: string;
  port: number;
  /**
   * TLS listeners of the managed broker on `host`, with the node's cluster CA: mqtts:// with a
   * password (tlsPort: 0 = 8883 when free) and with a client certificate (certPort: 0 = 8884).
   * With TLS on, the plain listener stays on loopback (the module's own link and local tools).
   */
  tls: boolean;
  tlsPort: number;
  certPort: number;
  /** How often changed twins (reported state, status) are written to the store. */
  flushMs: number;
  telemetry: { recentPoints: number; bucketMs: number; buckets: number; maxSeries: number };
}

// The module's own broker user: a leading '_' is outside device names, so no device can be it.
const SUPERUSER = '_llmos-iot';

export const iotModule = (): ModuleDef<IotConfig, IotApi> => ({
  kind: iotKind,
  id: 'mqtt',
  description: 'IoT devices: registry, twins and telemetry over MQTT (a managed mosquitto or --mqtt-url)',
  requires: [Kinds.stateStore, Kinds.monitor],
  defaults: { mqttUrl: '', host: '127.0.0.1', port: 0, tls: true, tlsPort: 0, certPort: 0, flushMs: 500, telemetry: { recentPoints: 120, bucketMs: 60_000, buckets: 1440, maxSeries: 50_000 } },
  validate(cfg) {
    for (const k of ['port', 'tlsPort', 'certPort'] as const) if (!(Number.isInteger(cfg[k]) && cfg[k] >= 0 && cfg[k] < 65536)) throw new InvalidArgument(`iot ${k} must be 0-65535, got ${cfg[k]}`);
    if (typeof cfg.tls !== 'boolean') throw new InvalidArgument('iot tls must be true or false');
    if (cfg.mqttUrl && !/^mqtts?:\/\//.test(cfg.mqttUrl)) throw new InvalidArgument(`iot mqttUrl ${cfg.mqttUrl} must start with mqtt:// or mqtts://`);
    if (!(cfg.flushMs >= 50)) throw new InvalidArgument('iot flushMs must be >= 50');
    return cfg;
  },
  async init(ctx) {
    const cfg = ctx.config;
    const store = ctx.getSingle<StateStore>(Kinds.stateStore);
    const monitor = ctx.getSingle<MonitorApi>(Kinds.monitor);
    const reg = new Registry(store);
    await reg.load();
    const series = monitor.createSeriesStore?.({ recentPoints: cfg.telemetry.recentPoints, bucketMs: cfg.telemetry.bucketMs, buckets: cfg.telemetry.buckets });

    let files: BrokerFiles | undefined;
    let url = '';
    let auth: { username?: string; password?: string };
    const superuser = { username: SUPERUSER, password: randomBytes(24).toString('base64url') };
    if (cfg.mqttUrl) {
      const u = new URL(cfg.mqttUrl);
      auth = u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {};
      url = `${u.protocol}//${u.host}`;
    } else {
      if (!(await hasMosquitto())) throw new SkipModule('mosquitto is not installed (apt-get install mosquitto), and no mqttUrl is configured');
      files = brokerFiles(path.join(ctx.dir, 'broker'));
      await mkdir(files.dir, { recursive: true, mode: 0o700 });
      await new ManagedBroker(files, { plain: { host: cfg.host, port: 0 } }, ctx.log).reapStale();
      auth = superuser;
    }
    const certs = files && cfg.tls ? new DeviceCerts(store, ctx.dataDir, files.dir) : undefined;
    const svc = new IotService({ reg, log: ctx.log, series, certs, url, superuser, store });
    let link: Link | undefined;
    // The broker and the MQTT client (mqtt.js is several MiB) start with the first device, not at
    // boot: a node without devices pays nothing for the module.
    svc.setActivator(async () => {
      if (files) {
        const listeners = async (): Promise<BrokerListeners> => {
          const port = await brokerPort(store, PORT_KEY, cfg.tls ? LOOPBACK : cfg.host, cfg.port, 1883);
          if (!certs) return { plain: { host: cfg.host, port } };
          const tlsFiles = await certs.writeBrokerFiles(cfg.host);
          const tlsPort = await brokerPort(store, TLS_PORT_KEY, cfg.host, cfg.tlsPort, 8883);
          const certPort = await brokerPort(store, CERT_PORT_KEY, cfg.host, cfg.certPort, 8884);
          return { plain: { host: LOOPBACK, port }, tls: { host: cfg.host, port: tlsPort, certPort, ...tlsFiles } };
        };
        let broker = new ManagedBroker(files, await listeners(), ctx.log);
        svc.setBroker(broker);
        await svc.syncBrokerUsers();
        try {
          await broker.start();
        } catch (e) {
          // A chosen (not configured) port taken meanwhile, e.g. 1883 by another broker: others.
          if (cfg.port || cfg.tlsPort || cfg.certPort) throw e;
          ctx.log.warn(`iot: mosquitto did not start (${(e as Error).message}); trying other ports`);
          for (const k of [PORT_KEY, TLS_PORT_KEY, CERT_PORT_KEY]) await store.delete(k);
          broker = new ManagedBroker(files, await listeners(), ctx.log);
          svc.setBroker(broker);
          await svc.syncBrokerUsers();
          await broker.start();
        }
      }
      link = new Link(svc.managedBroker?.url ?? url, auth, (d, ch, p) => svc.ingest.handle(d, ch, p), () => void svc.republishAll(), ctx.log);
      svc.link = link;
      await link.start();
    });
    if (reg.devices.size) await svc.activate();
    ctx.reconciler.register('iot/flush', () => svc.flush(), cfg.flushMs);

    new Gauge({
      name: 'llmos_device_telemetry',
      help: 'Latest telemetry value of a device property (booleans as 0/1)',
      labelNames: ['device', 'property'],
      registers: [monitor.registry],
      collect() {
        this.reset();
        for (const [device, vals] of svc.ingest.latest)
          for (const [property, v] of Object.entries(vals)) if (typeof v !== 'string') this.set({ device, property }, Number(v));
      },
    });
    new Gauge({
      name: 'llmos_device_online',
      help: 'Whether a device is connected (its status topic)',
      labelNames: ['device'],
      registers: [monitor.registry],
      collect() {
        this.reset();
        for (const name of reg.devices.keys()) this.set({ device: name }, reg.twins.get(name)?.online ? 1 : 0);
      },
    });
    new Gauge({ name: 'llmos_iot_rejected_messages', help: 'Device messages refused (bad JSON, type or range, unknown device or property)', registers: [monitor.registry], collect() { this.set(svc.ingest.rejected); } });

    ctx.meta.exports.url = cfg.mqttUrl ? url : `mqtt://${cfg.host}:(chosen at the first device)`;
    ctx.meta.exports.managedBroker = !!files;
    ctx.meta.exports.devices = reg.devices.size;
    stops.set(svc, async () => {
      ctx.reconciler.unregister('iot/flush');
      for (const n of ['llmos_device_telemetry', 'llmos_device_online', 'llmos_iot_rejected_messages']) monitor.registry.removeSingleMetric(n);
      await svc.flush().catch((e: Error) => ctx.log.warn(`iot: twins not written at stop: ${e.message}`));
      await link?.stop();
      await svc.managedBroker?.stop();
      if (files && !svc.managedBroker) await rm(files.dir, { recursive: true, force: true });
    });
    return svc;
  },
  async stop(api) {
    await stops.get(api as IotService)?.();
  },
});

const stops = new WeakMap<IotService, () => Promise<void>>();

async function hasMosquitto(): Promise<boolean> {
  const { access } = await import('node:fs/promises');
  for (const d of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) if (await access(path.join(d, 'mosquitto')).then(() => true, () => false)) return true;
  return false;
}

const PORT_KEY = '/iot/broker/port';
const TLS_PORT_KEY = '/iot/broker/tls-port';
const CERT_PORT_KEY = '/iot/broker/cert-port';
const LOOPBACK = '127.0.0.1';

/** The configured port, else the one chosen at first boot (devices keep their URL across restarts). */
async function brokerPort(store: StateStore, key: string, host: string, configured: number, usual: number): Promise<number> {
  if (configured) return configured;
  const kept = (await store.get<number>(key))?.value;
  if (kept) return kept;
  const port = (await portFree(host, usual)) ? usual : await freePortOn(host);
  await store.put(key, port);
  return port;
}

async function portFree(host: string, port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

async function freePortOn(host: string): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
