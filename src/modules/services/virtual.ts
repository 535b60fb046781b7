// Services as the data path sees them (pure): every v1 Service (exposure) and every LLMOS service
// with ports is a name with a ClusterIP, ports and the ready replicas behind them. A v1 Service
// and the Deployment it selects usually share a name (the guestbook's redis-leader): the v1
// Service owns the name then, as in Kubernetes.
import type { VirtualService } from '../../contracts/network.js';
import { LABEL_SERVICE, type ExposureRecord, type ServiceRecord } from './types.js';

const selects = (x: ExposureRecord, rec: ServiceRecord): boolean => {
  if (x.namespace !== rec.namespace || !Object.keys(x.selector).length) return false;
  // Every replica also carries llmos.io/service=NAME, so a v1 Service can select a CLI-made service.
  const labels: Record<string, string> = { ...rec.labels, ...rec.spec.template.labels, [LABEL_SERVICE]: rec.name };
  return Object.entries(x.selector).every(([k, v]) => labels[k] === v);
};

/**
 * `ready(ns, name)`: addresses of a service's ready replicas. `hostPorts`: whether host ports go
 * through the kernel (else the userspace proxy serves them and they are left out here).
 */
export function virtualServices(records: readonly ServiceRecord[], exposures: readonly ExposureRecord[], ready: (ns: string, name: string) => string[], hostPorts: boolean): VirtualService[] {
  const out: VirtualService[] = [];
  const taken = new Set<string>();
  for (const x of exposures) {
    const backs = records.filter((r) => selects(x, r));
    const endpoints = [...new Set(backs.flatMap((r) => ready(r.namespace, r.name)))];
    const ports: VirtualService['ports'] = [];
    for (const p of x.ports) {
      const targetPort = typeof p.targetPort === 'number' ? p.targetPort : backs.flatMap((r) => r.spec.ports).find((q) => q.name === p.targetPort)?.containerPort;
      const port = p.port ?? p.hostPort ?? (typeof p.targetPort === 'number' ? p.targetPort : undefined);
      if (!targetPort || !port) continue;
      ports.push({ ...(p.name ? { name: p.name } : {}), port, targetPort, ...(hostPorts && p.hostPort ? { hostPort: p.hostPort } : {}) });
    }
    taken.add(`${x.namespace}/${x.name}`);
    out.push({ namespace: x.namespace, name: x.name, ports, endpoints, ...(x.headless ? { headless: true } : {}), ...(x.sessionAffinity ? { sessionAffinity: x.sessionAffinity } : {}) });
  }
  for (const r of records) {
    if (taken.has(`${r.namespace}/${r.name}`)) continue;
    const ports = r.spec.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.containerPort, targetPort: p.containerPort, ...(hostPorts && p.hostPort ? { hostPort: p.hostPort } : {}) }));
    out.push({ namespace: r.namespace, name: r.name, ports, endpoints: ready(r.namespace, r.name) });
  }
  return out;
}

/** The v1 Services (by name) whose rules carry traffic to `rec`, itself first. */
export function servicesOf(rec: ServiceRecord, exposures: readonly ExposureRecord[]): string[] {
  const names = exposures.filter((x) => selects(x, rec)).map((x) => x.name);
  return [...new Set([rec.name, ...names])];
}

const envName = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** Kubernetes' service env vars (docker links style) for the services of `namespace` with a ClusterIP. */
export function serviceEnv(services: readonly VirtualService[], clusterIps: ReadonlyMap<string, string>, namespace: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of services) {
    const ip = clusterIps.get(`${s.namespace}/${s.name}`);
    if (s.namespace !== namespace || s.headless || !ip || !s.ports.length) continue;
    const n = envName(s.name);
    const first = s.ports[0]!;
    env[`${n}_SERVICE_HOST`] = ip;
    env[`${n}_SERVICE_PORT`] = String(first.port);
    env[`${n}_PORT`] = `tcp://${ip}:${first.port}`;
    for (const p of s.ports) {
      if (p.name) env[`${n}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
      const k = `${n}_PORT_${p.port}_TCP`;
      env[k] = `tcp://${ip}:${p.port}`;
      env[`${k}_PROTO`] = 'tcp';
      env[`${k}_PORT`] = String(p.port);
      env[`${k}_ADDR`] = ip;
    }
  }
  return env;
}

/**
 * Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion): $(NAME) becomes the value
 * when NAME is defined, and stays as written when not; $$ is an escaped $.
 */
export function expandVars(s: string, env: Readonly<Record<string, string>>): string {
  return s.replace(/\$\$|\$\(([^()]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : name !== undefined && Object.prototype.hasOwnProperty.call(env, name) ? env[name]! : m));
}

/** A replica's env: service vars first, then the template's (each may refer to the ones before it). */
export function replicaEnv(base: Readonly<Record<string, string>>, template: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = { ...base };
  for (const [k, v] of Object.entries(template)) env[k] = expandVars(v, env);
  return env;
}
