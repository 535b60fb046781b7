// The service side of the network module: ClusterIPs (cluster-ips.ts), the kernel rules (nft.ts)
// and the DNS records (dns.ts) of this daemon's services and named containers, kept together so
// one sync makes all three match. Container records are kept in the module's directory, so a
// restarted daemon still answers for the containers it adopts.
import { Mutex } from 'async-mutex';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DnsConfig, ServiceNetState, ServiceNetworkApi, VirtualService } from '../../contracts/network.js';
import { CLUSTER_DOMAIN, searchDomains } from '../../contracts/network.js';
import { ClusterIps } from './cluster-ips.js';
import { Dnsmasq, serviceNames, type DnsRecord } from './dns.js';
import { applyTable, enableLocalnet, ruleCounters, tableExists, type ProgrammedService } from './nft.js';
import { replaceFile } from '../../kernel/replace-file.js';

export interface ServiceNetOptions {
  tag: string;
  bridge: string;
  gateway: string;
  serviceCidr: string;
  /** Lease directory of ClusterIPs (shared by the daemons on the host). */
  leaseDir: string;
  /** This module's own directory (container records). */
  stateDir: string;
  dnsRoot?: string;
}

export class ServiceNet implements ServiceNetworkApi {
  dns: Dnsmasq;
  private readonly ips: ClusterIps;
  private containers = new Map<string, { name: string; ip: string }>();
  private services: ProgrammedService[] = [];
  /** Serialises syncs: each rebuild sees the state the previous one left. */
  private chain: Promise<unknown> = Promise.resolve();
  private synced = false;
  /** One write of the records file at a time: two would race on the same temporary file. */
  private readonly saving = new Mutex();

  constructor(private o: ServiceNetOptions) {
    this.dns = new Dnsmasq({ bridge: o.bridge, address: o.gateway, tag: o.tag, root: o.dnsRoot });
    this.ips = new ClusterIps(o.leaseDir, o.tag, o.serviceCidr);
  }

  private get recordsFile(): string {
    return path.join(this.o.stateDir, 'container-names.json');
  }

  async start(): Promise<void> {
    try {
      this.containers = new Map(Object.entries(JSON.parse(await readFile(this.recordsFile, 'utf8')) as Record<string, { name: string; ip: string }>));
    } catch {
      /* first boot */
    }
    await this.dns.start();
    await this.writeRecords();
  }

  dnsConfig(namespace = 'default'): DnsConfig {
    return { nameservers: [this.o.gateway], search: searchDomains(namespace), options: ['ndots:5'] };
  }

  async addContainer(id: string, name: string, ip: string): Promise<void> {
    this.containers.set(id, { name, ip });
    await this.saveContainers();
  }

  async removeContainer(id: string): Promise<void> {
    if (!this.containers.delete(id)) return;
    await this.saveContainers();
  }

  /** Drops the records of containers not in keep (boot: what crashed runs left). */
  async keepContainers(keep: ReadonlySet<string>): Promise<void> {
    let changed = false;
    for (const id of [...this.containers.keys()]) if (!keep.has(id)) changed = this.containers.delete(id) || changed;
    if (changed) await this.saveContainers();
  }

  private async saveContainers(): Promise<void> {
    await this.saving.runExclusive(() => replaceFile(this.recordsFile, JSON.stringify(Object.fromEntries(this.containers))));
    await this.writeRecords();
  }

  private records(): DnsRecord[] {
    const out: DnsRecord[] = [];
    for (const s of this.services) {
      const names = serviceNames(s.namespace, s.name);
      if (s.headless) for (const ip of s.endpoints) out.push({ ip, names });
      else if (s.clusterIp) out.push({ ip: s.clusterIp, names });
    }
    for (const c of this.containers.values()) out.push({ ip: c.ip, names: [c.name, `${c.name}.${CLUSTER_DOMAIN}`] });
    return out;
  }

  private writeRecords(): Promise<void> {
    return this.dns.setRecords(this.records());
  }

  syncServices(services: readonly VirtualService[]): Promise<Map<string, string>> {
    const run = this.chain.then(() => this.syncNow(services));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async syncNow(services: readonly VirtualService[]): Promise<Map<string, string>> {
    const ips = await this.ips.sync(services.filter((s) => !s.headless).map((s) => `${s.namespace}/${s.name}`));
    const next: ProgrammedService[] = services.map((s) => ({ ...s, ...(s.headless ? {} : { clusterIp: ips.get(`${s.namespace}/${s.name}`) }) }));
    const same = this.synced && JSON.stringify(next) === JSON.stringify(this.services);
    // The rules are rebuilt only when they change, or when they were lost (flushed by hand).
    const ruled = next.some((s) => s.ports.length && (s.clusterIp || s.ports.some((p) => p.hostPort)));
    if (!same || (ruled && !(await tableExists(this.o.tag)))) {
      if (ruled) await enableLocalnet(this.o.bridge);
      await applyTable(this.o.tag, ruled ? next : []);
    }
    this.services = next;
    this.synced = true;
    await this.writeRecords();
    return ips;
  }

  clusterIps(): ReadonlyMap<string, string> {
    return this.ips.current();
  }

  async serviceState(namespace: string, name: string): Promise<ServiceNetState> {
    const key = `${namespace}/${name}`;
    const s = this.services.find((x) => x.namespace === namespace && x.name === name);
    return { ...(s?.clusterIp ? { clusterIp: s.clusterIp } : {}), dnsNames: s ? serviceNames(namespace, name) : [], rules: await ruleCounters(this.o.tag, key) };
  }

  /** The bridge's address changed (cluster-subnet.ts): dnsmasq listens on the new one, with the same records. */
  async setGateway(gateway: string): Promise<void> {
    await this.chain;
    await this.dns.stop();
    this.o = { ...this.o, gateway };
    this.dns = new Dnsmasq({ bridge: this.o.bridge, address: gateway, tag: this.o.tag, root: this.o.dnsRoot });
    await this.dns.start();
    await this.writeRecords();
  }

  async stop(): Promise<void> {
    await this.chain;
    await this.dns.stop();
  }
}
