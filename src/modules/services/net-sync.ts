// Keeps the network's service data path (ClusterIPs, kernel rules, DNS names) at the services'
// current endpoints: one sync at a time, and the last state always wins (a change during a sync
// runs one more). Called after each reconcile pass and whenever a replica's readiness changes,
// so rules and names follow a replica within a probe period.
import type { Logger } from 'pino';
import type { ServiceNetState, ServiceNetworkApi, VirtualService } from '../../contracts/network.js';
import type { ExposureRecord, ServiceRecord } from './types.js';
import { serviceEnv, servicesOf, virtualServices } from './virtual.js';
import { CoalescedRun } from '../../kernel/coalesce.js';

export interface NetSyncInputs {
  records: readonly ServiceRecord[];
  exposures: readonly ExposureRecord[];
  ready: (ns: string, name: string) => string[];
  /** Host ports through the kernel (not the userspace proxy). */
  kernelPorts: boolean;
}

export class NetSync {
  private virtual: VirtualService[] = [];
  private readonly loop: CoalescedRun;
  stopped = false;

  constructor(private readonly net: () => ServiceNetworkApi | undefined, private readonly inputs: () => NetSyncInputs, log: Pick<Logger, 'warn'>) {
    this.loop = new CoalescedRun(() => this.pass(), (e) => log.warn({ err: e }, 'service rules and names not updated'), () => this.stopped);
  }

  sync(): Promise<void> {
    return this.net() ? this.loop.run() : Promise.resolve();
  }

  private async pass(): Promise<void> {
    const net = this.net();
    if (!net) return;
    const i = this.inputs();
    this.virtual = virtualServices(i.records, i.exposures, i.ready, i.kernelPorts);
    await net.syncServices(this.virtual);
  }

  /** The env vars of the services that exist now, for a new replica in `namespace`. */
  env(namespace: string): Record<string, string> {
    const ips = this.net()?.clusterIps();
    return ips ? serviceEnv(this.virtual, ips, namespace) : {};
  }

  /** The network's view of the service's own name and of the v1 Services selecting it. */
  async state(rec: ServiceRecord, exposures: readonly ExposureRecord[]): Promise<Array<ServiceNetState & { service: string }> | undefined> {
    const net = this.net();
    if (!net) return undefined;
    const all = await Promise.all(servicesOf(rec, exposures).map(async (n) => ({ service: n, ...(await net.serviceState(rec.namespace, n)) })));
    return all.filter((x) => x.clusterIp || x.rules.length || x.dnsNames.length);
  }
}
