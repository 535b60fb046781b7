// Replica template fields shared by LLMOS Service and Kubernetes Deployment manifests: env
// lists, resource quantities, and probes, each checked with its path (pure).
import { errorMessage } from '../../kernel/errors.js';
import { parseCpu, parseMemory } from '../../kernel/quantity.js';
import type { Fields } from './fields.js';
import type { ProbeSpec, ReplicaTemplate, ServicePort } from './types.js';

/** The pod fields a replica's env can name (Kubernetes downward API); status.podIP is known only once the replica runs. */
export const FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.serviceAccountName'] as const;

/** `fieldEnv` (when given) receives env[].valueFrom.fieldRef entries: NAME -> fieldPath. */
export function k8sEnv(v: unknown, f: Fields, path: string, fieldEnv?: Record<string, string>): Record<string, string> | undefined {
  const list = f.arr(v, path);
  if (!list) return;
  const out: Record<string, string> = {};
  list.forEach((e, i) => {
    const o = f.obj(e, `${path}[${i}]`, ['name', 'value', ...(fieldEnv ? ['valueFrom'] : [])]);
    const name = f.str(o?.name, `${path}[${i}].name`, { required: true, pattern: /^[^=\0]+$/, patternHint: 'must not contain "="' });
    if (o?.valueFrom !== undefined && fieldEnv) {
      const vf = f.obj(o.valueFrom, `${path}[${i}].valueFrom`, ['fieldRef']);
      const fr = f.obj(vf?.fieldRef, `${path}[${i}].valueFrom.fieldRef`, ['fieldPath', 'apiVersion'], { required: !!vf });
      const fp = f.str(fr?.fieldPath, `${path}[${i}].valueFrom.fieldRef.fieldPath`, { required: !!fr });
      if (fp !== undefined && !(FIELD_PATHS as readonly string[]).includes(fp)) f.warn(`${path}[${i}].valueFrom.fieldRef.fieldPath`, `${fp} is not supported (${FIELD_PATHS.join(', ')} are); ${name ?? 'the variable'} is not set`);
      else if (fp && name) fieldEnv[name] = fp;
      return;
    }
    const value = o?.value;
    // Only scalars are stringified: String() of an object runs its (attacker-chosen) toString.
    if (value === undefined || value === null) {
      if (name) out[name] = '';
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      if (name) out[name] = String(value);
    } else f.error(`${path}[${i}].value`, 'must be a string');
  });
  return out;
}

export function resources(v: unknown, f: Fields, path: string): Pick<ReplicaTemplate, 'cpus' | 'memory' | 'requests'> {
  const r = f.obj(v, path, ['limits', 'requests']);
  if (!r) return {};
  const lim = f.obj(r.limits, `${path}.limits`, ['cpu', 'memory']);
  const req = f.obj(r.requests, `${path}.requests`, ['cpu', 'memory']);
  const q = (x: unknown, p: string, parse: (x: string | number) => number, what: string) => {
    if (x === undefined || x === null) return undefined;
    const eg = what === 'CPU' ? '500m or 0.5' : '128Mi';
    if (typeof x !== 'string' && typeof x !== 'number') return f.error(p, `must be a ${what} quantity (e.g. ${eg}), got ${Array.isArray(x) ? 'a list' : typeof x}`);
    let n: number;
    try {
      n = parse(x);
    } catch (e) {
      // Out of bounds: the parser's reason (negative, not finite, too large); else not a quantity at all.
      const why = errorMessage(e);
      return f.error(p, /is not like/.test(why) ? `"${String(x).slice(0, 80)}" is not a positive ${what} quantity (e.g. ${eg})` : why);
    }
    if (n <= 0) return f.error(p, `"${String(x)}" is not a positive ${what} quantity (e.g. ${eg})`);
    return n;
  };
  // The template keeps CPU in cores, as `--cpus` does.
  const cores = (x: string | number) => parseCpu(x) / 1000;
  const cpus = q(lim?.cpu, `${path}.limits.cpu`, cores, 'CPU');
  const memory = q(lim?.memory, `${path}.limits.memory`, parseMemory, 'memory');
  const rcpu = q(req?.cpu, `${path}.requests.cpu`, cores, 'CPU');
  const rmem = q(req?.memory, `${path}.requests.memory`, parseMemory, 'memory');
  if (cpus !== undefined && rcpu !== undefined && rcpu > cpus) f.error(`${path}.requests.cpu`, `must not exceed limits.cpu (${rcpu} > ${cpus})`);
  if (memory !== undefined && rmem !== undefined && rmem > memory) f.error(`${path}.requests.memory`, `must not exceed limits.memory (${rmem} > ${memory})`);
  const requests = { ...optional('cpu', rcpu), ...optional('memory', rmem) };
  return { ...optional('cpus', cpus), ...optional('memory', memory), ...(Object.keys(requests).length ? { requests } : {}) };
}

/** Probes with Kubernetes' defaults and rules (liveness successThreshold must be 1). */
export function probe(v: unknown, f: Fields, path: string, ports: ServicePort[], which: 'readiness' | 'liveness', defaultPeriod = 2): ProbeSpec | undefined {
  const p = f.obj(v, path, ['exec', 'httpGet', 'tcpSocket', 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold']);
  if (!p) return;
  const handlers = ['exec', 'httpGet', 'tcpSocket'].filter((h) => p[h] !== undefined);
  if (handlers.length !== 1) return f.error(path, `must set exactly one of exec, httpGet, tcpSocket${handlers.length ? ` (got ${handlers.join(', ')})` : ''}`);
  const port = (x: unknown, pp: string): number | undefined => {
    if (typeof x === 'string' && !/^\d+$/.test(x)) {
      const named = ports.find((q) => q.name === x);
      return named ? named.containerPort : f.error(pp, `no container port is named "${x}"`);
    }
    return f.int(typeof x === 'string' ? Number(x) : x, pp, { required: true, min: 1, max: 65535 });
  };
  const out: Partial<ProbeSpec> = {};
  if (p.exec !== undefined) {
    const e = f.obj(p.exec, `${path}.exec`, ['command']);
    const command = f.strings(e?.command, `${path}.exec.command`, { required: true });
    if (command) out.exec = { command };
  } else if (p.httpGet !== undefined) {
    const h = f.obj(p.httpGet, `${path}.httpGet`, ['path', 'port', 'scheme']);
    f.str(h?.scheme, `${path}.httpGet.scheme`, { oneOf: ['HTTP'] });
    const hp = f.str(h?.path, `${path}.httpGet.path`, { pattern: /^\//, patternHint: 'must start with /' }) ?? '/';
    const pn = port(h?.port ?? ports[0]?.containerPort, `${path}.httpGet.port`);
    if (pn) out.httpGet = { path: hp, port: pn };
  } else {
    const t = f.obj(p.tcpSocket, `${path}.tcpSocket`, ['port']);
    const pn = port(t?.port ?? ports[0]?.containerPort, `${path}.tcpSocket.port`);
    if (pn) out.tcpSocket = { port: pn };
  }
  const successThreshold = f.int(p.successThreshold, `${path}.successThreshold`, { min: 1, max: 1000 }) ?? 1;
  if (which === 'liveness' && successThreshold !== 1) f.error(`${path}.successThreshold`, 'must be 1 for a liveness probe');
  return {
    ...out,
    initialDelaySeconds: f.int(p.initialDelaySeconds, `${path}.initialDelaySeconds`, { min: 0, max: 86_400 }) ?? 0,
    periodSeconds: f.int(p.periodSeconds, `${path}.periodSeconds`, { min: 1, max: 3600 }) ?? defaultPeriod,
    timeoutSeconds: f.int(p.timeoutSeconds, `${path}.timeoutSeconds`, { min: 1, max: 3600 }) ?? 1,
    successThreshold,
    failureThreshold: f.int(p.failureThreshold, `${path}.failureThreshold`, { min: 1, max: 1000 }) ?? 3,
  };
}

export function optional<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}
