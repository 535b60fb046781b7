// The host ports of services: one proxy per published host port, opened and closed to follow the
// desired state (service records and exposures), pointed at the ready replicas.
import type { Logger } from 'pino';
import { errorMessage } from '../../kernel/errors.js';
import { endpointsOf, type Endpoint } from './endpoints.js';
import { ServiceProxy, type Backend } from './proxy.js';
import type { ExposureRecord, PortProtocol, ServiceRecord, ServiceStatus } from './types.js';

interface Listener {
  proxy: ServiceProxy;
  service: string;
  containerPort: number;
  protocol: PortProtocol;
  via?: string;
}

export interface HostPortsOptions {
  /** Addresses every host port listens on (127.0.0.1 first). */
  addresses: readonly string[];
  log: Pick<Logger, 'debug'>;
  publish: (svc: { name: string; namespace: string }, topic: string, message: string, data?: Record<string, unknown>) => void;
}

export class HostPorts {
  private readonly listeners = new Map<number, Listener>();
  private readonly bindErrors = new Map<number, string>();
  private lastEndpoints: Endpoint[] = [];

  constructor(private readonly o: HostPortsOptions) {}

  async reconcile(records: ServiceRecord[], exposures: ExposureRecord[]): Promise<void> {
    const { endpoints, problems } = endpointsOf(records, exposures);
    for (const pr of problems) this.o.log.debug(pr, 'endpoint problem');
    this.lastEndpoints = endpoints;
    const want = new Map<number, Endpoint>();
    for (const e of endpoints) if (!want.has(e.hostPort)) want.set(e.hostPort, e); // apply refuses double claims; first wins otherwise
    for (const [port, l] of [...this.listeners]) {
      const w = want.get(port);
      if (w && w.service === l.service && w.containerPort === l.containerPort && w.protocol === l.protocol) continue;
      this.listeners.delete(port);
      await l.proxy.close();
      const [ns, name] = l.service.split('/') as [string, string];
      this.o.publish({ name, namespace: ns }, 'port-closed', `service ${name}: host port ${port} closed`, { hostPort: port });
    }
    for (const [port, e] of want) {
      if (this.listeners.has(port)) continue;
      const proxy = new ServiceProxy(port, e.protocol, this.o.addresses);
      const [ns, name] = e.service.split('/') as [string, string];
      try {
        await proxy.listen();
        this.listeners.set(port, { proxy, service: e.service, containerPort: e.containerPort, protocol: e.protocol, via: e.via });
        this.bindErrors.delete(port);
        this.o.publish({ name, namespace: ns }, 'port-opened', `service ${name}: listening on ${this.o.addresses.map((a) => `${a}:${port}`).join(', ')} (${e.protocol}) -> container port ${e.containerPort}`, { hostPort: port });
      } catch (err) {
        const msg = errorMessage(err);
        // Retried every pass; reported once per distinct error.
        if (this.bindErrors.get(port) !== msg) this.o.publish({ name, namespace: ns }, 'port-failed', `service ${name}: cannot listen on host port ${port}: ${msg}`, { hostPort: port });
        this.bindErrors.set(port, msg);
      }
    }
  }

  /** Points every proxy at its service's backends (`service` is "namespace/name"). */
  refresh(backends: (service: string, containerPort: number) => Backend[]): void {
    for (const l of this.listeners.values()) l.proxy.setBackends(backends(l.service, l.containerPort));
  }

  /** The service's published ports, with why one does not listen. */
  endpoints(service: string): ServiceStatus['endpoints'] {
    return this.lastEndpoints
      .filter((e) => e.service === service)
      .map((e) => {
        const l = this.listeners.get(e.hostPort);
        const err = l && l.service === service ? undefined : (this.bindErrors.get(e.hostPort) ?? (l ? `host port is used by service ${l.service}` : 'not listening yet'));
        return { hostPort: e.hostPort, containerPort: e.containerPort, protocol: e.protocol, addresses: [...this.o.addresses], ...(err ? { error: err } : {}), ...(e.via ? { via: e.via } : {}) };
      });
  }

  /** Request rate and concurrency across the service's host ports since the last sample. */
  sampleLoad(service: string, now: number): { rps: number; concurrency: number } | undefined {
    const ls = [...this.listeners.values()].filter((l) => l.service === service);
    if (!ls.length) return undefined;
    return ls.map((l) => l.proxy.meter.sample(now)).reduce((a, b) => ({ rps: a.rps + b.rps, concurrency: a.concurrency + b.concurrency }), { rps: 0, concurrency: 0 });
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((l) => l.proxy.close()));
    this.listeners.clear();
  }
}
