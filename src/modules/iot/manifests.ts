// DeviceModel and Device manifests (`llmos apply -f`), exactly as issue 21 fixes them:
//   {apiVersion: llmos.io/v1, kind: DeviceModel, metadata: {name}, spec: {properties: [...]}}
//   {apiVersion: llmos.io/v1, kind: Device, metadata: {name, labels}, spec: {model, node?}}
// Every document is validated before anything is written (models first, so a Device may name a
// model of the same apply).
import { InvalidArgument } from '../../kernel/errors.js';
import type { ModelInfo } from '../../contracts/iot.js';
import type { DeviceRecord, Registry } from './registry.js';

type Outcome = { kind: string; name: string; action: 'created' | 'updated' | 'unchanged' };

interface Doc {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; labels?: unknown };
  spec?: Record<string, unknown>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export async function applyIotManifests(reg: Registry, docs: unknown[], opts: { dryRun?: boolean } = {}): Promise<Outcome[]> {
  return reg.lock.runExclusive(async () => {
    const models: ModelInfo[] = [];
    const devices: unknown[] = [];
    const order: Array<{ kind: string; i: number }> = [];
    for (const raw of docs) {
      const d = (raw ?? {}) as Doc;
      const where = `${String(d.kind)} ${String(d.metadata?.name ?? '(no metadata.name)')}`;
      if (d.apiVersion !== 'llmos.io/v1') throw new InvalidArgument(`${where}: apiVersion must be llmos.io/v1`);
      if (!d.spec || typeof d.spec !== 'object') throw new InvalidArgument(`${where}: spec is required`);
      if (d.kind === 'DeviceModel') {
        const { properties, ...rest } = d.spec;
        if (Object.keys(rest).length) throw new InvalidArgument(`${where}: unknown spec field ${Object.keys(rest)[0]}`);
        try {
          models.push(reg.parseModel({ name: d.metadata?.name as string, properties: properties as never, ...(d.metadata?.labels ? { labels: d.metadata.labels as Record<string, string> } : {}) }));
        } catch (e) {
          throw new InvalidArgument(`${where}: ${(e as Error).message}`, { cause: e });
        }
        order.push({ kind: 'DeviceModel', i: models.length - 1 });
      } else if (d.kind === 'Device') {
        devices.push({ name: d.metadata?.name, ...(d.metadata?.labels ? { labels: d.metadata.labels } : {}), ...d.spec });
        order.push({ kind: 'Device', i: devices.length - 1 });
      } else throw new InvalidArgument(`${where}: not a DeviceModel or Device`);
    }
    // Devices may name a model of this apply: check against the models as they will be.
    const saved = new Map(reg.models);
    for (const m of models) if (!reg.models.has(m.name)) reg.models.set(m.name, m);
    let recs: DeviceRecord[];
    try {
      recs = reg.parseDevices(devices, { replace: true });
    } finally {
      reg.models.clear();
      for (const [k, v] of saved) reg.models.set(k, v);
    }
    const out: Outcome[] = order.map(({ kind, i }) => {
      if (kind === 'DeviceModel') {
        const m = models[i]!;
        const old = reg.models.get(m.name);
        return { kind, name: m.name, action: !old ? 'created' : same(old.properties, m.properties) && same(old.labels, m.labels) ? 'unchanged' : 'updated' };
      }
      const r = recs[i]!;
      const old = reg.devices.get(r.name);
      return { kind, name: r.name, action: !old ? 'created' : same({ ...old, passwordHash: undefined }, { ...r, passwordHash: undefined }) ? 'unchanged' : 'updated' };
    });
    if (opts.dryRun) return out;
    for (const m of models) if (out.find((o) => o.kind === 'DeviceModel' && o.name === m.name)?.action !== 'unchanged') await reg.putModel(m, { replace: true });
    const changed = recs.filter((r) => out.find((o) => o.kind === 'Device' && o.name === r.name)?.action !== 'unchanged');
    if (changed.length) await reg.putDevices(changed);
    return out;
  });
}
