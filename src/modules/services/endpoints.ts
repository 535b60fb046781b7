// Which host port goes where: pure, from desired state only (the controller binds the listeners).
import type { ExposureRecord, PortProtocol, ServiceRecord, ServiceStatus } from './types.js';

export interface Endpoint {
  /** "NAMESPACE/NAME" of the service. */
  service: string;
  hostPort: number;
  containerPort: number;
  protocol: PortProtocol;
  via?: string;
}

const rtKey = (ns: string, name: string): string => `${ns}/${name}`;

/** Which host port goes to which service's container port: its own ports plus v1 Services selecting it. */
export function endpointsOf(records: ServiceRecord[], exposures: ExposureRecord[]): { endpoints: Endpoint[]; problems: Array<{ service: string; message: string }> } {
  const endpoints: Endpoint[] = [];
  const problems: Array<{ service: string; message: string }> = [];
  for (const rec of records) {
    const k = rtKey(rec.namespace, rec.name);
    for (const p of rec.spec.ports) if (p.hostPort) endpoints.push({ service: k, hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol });
    const labels = { ...rec.labels, ...rec.spec.template.labels };
    for (const x of exposures) {
      if (x.namespace !== rec.namespace || !Object.keys(x.selector).length || !Object.entries(x.selector).every(([lk, lv]) => labels[lk] === lv)) continue;
      for (const p of x.ports) {
        if (!p.hostPort) continue;
        const containerPort = typeof p.targetPort === 'number' ? p.targetPort : rec.spec.ports.find((q) => q.name === p.targetPort)?.containerPort;
        if (!containerPort) problems.push({ service: k, message: `Service ${x.name}: targetPort "${p.targetPort}" names no container port` });
        else endpoints.push({ service: k, hostPort: p.hostPort, containerPort, protocol: p.protocol, via: `Service/${x.name}` });
      }
    }
  }
  return { endpoints, problems };
}

/** The host ports of one service when the kernel serves them: on every local address. */
export function kernelEndpoints(rec: ServiceRecord, exposures: ExposureRecord[]): ServiceStatus['endpoints'] {
  return endpointsOf([rec], exposures).endpoints.map((e) => ({ hostPort: e.hostPort, containerPort: e.containerPort, protocol: e.protocol, addresses: ['*'], ...(e.via ? { via: e.via } : {}) }));
}
