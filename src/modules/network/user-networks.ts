// User-defined networks (Docker's `docker network`): each its own bridge and subnet (user-net-host.ts,
// subnets claimed host-wide in user-subnets.ts), isolated from the others (user-net-rules.ts), with
// its own dnsmasq on the gateway address answering the names and aliases of its containers only
// (other names are forwarded to the host's resolvers). Networks are kept in the module's directory
// and rebuilt at boot; what a crashed create or remove left (a claim of ours without a record) is
// removed then. Containers attach at start (eth0, ContainerSpec.userNetwork) or by connect (eth1...);
// a connection is kept while its container is stopped and plugged again at each start.
import { Mutex } from 'async-mutex';
import { randomBytes } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { NetworkAttachment, PortMapping } from '../../contracts/containers.js';
import type { UserNetworkCreate, UserNetworkInfo, UserNetworksApi } from '../../contracts/user-networks.js';
import { userNetworkCreateSchema } from '../../contracts/user-networks.js';
import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, errorMessage } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { addNetworkList, delNetworkList, type CniResult } from './cni.js';
import { Dnsmasq } from './dns.js';
import { installGuard } from './guard.js';
import { purgeRulesFor } from './iptables.js';
import { ensureBridge, removeBridge, userNetConfList, userNetDns, type UserNetEndpoint, type UserNetRecord } from './user-net-host.js';
import { applyIsolation, userBridgePrefix } from './user-net-rules.js';
import { SubnetClaims } from './user-subnets.js';
import { replaceFile } from '../../kernel/replace-file.js';

export interface UserNetworksOptions {
  tag: string;
  /** The default bridge (isolated from user networks). */
  defaultBridge: string;
  pluginDir: string;
  ipamDir: string;
  dnsRoot: string;
  /** The module's own directory (the networks file). */
  stateDir: string;
  claims: SubnetClaims;
  /** CNI container id and netns path of a container (shared with the default bridge). */
  cniId(containerId: string): string;
  netnsPath(containerId: string): string;
  /** The netns of a container whose start prepared it (or a new one). */
  takeNetns(containerId: string): Promise<string>;
  warn(msg: string): void;
}

const exists = (p: string): Promise<boolean> => access(p).then(
  () => true,
  () => false,
);

/** Plugged into the bridge (or being plugged): a connection of a stopped container is neither. */
const plugged = (e: UserNetEndpoint): boolean => !!e.ip || !!e.pending;

export class UserNetworks implements UserNetworksApi {
  private nets = new Map<string, UserNetRecord>();
  private readonly dns = new Map<string, Dnsmasq>();
  private readonly lock = new Mutex();
  /** Containers whose network was taken down (stop) and not set up again since: connect only records. */
  private readonly down = new Set<string>();

  constructor(private readonly o: UserNetworksOptions) {}

  private get file(): string {
    return path.join(this.o.stateDir, 'user-networks.json');
  }

  private async save(): Promise<void> {
    faultPoint('network.user.record');
    await replaceFile(this.file, JSON.stringify(Object.fromEntries(this.nets)));
  }

  /** Boot: rebuilds every kept network, removes what crashed creates and removes left. */
  async start(): Promise<void> {
    try {
      this.nets = new Map(Object.entries(JSON.parse(await readFile(this.file, 'utf8')) as Record<string, UserNetRecord>));
    } catch {
      /* first boot */
    }
    for (const c of await this.o.claims.all()) if (c.tag === this.o.tag && !this.nets.has(c.id)) await this.teardown(c).catch((e) => this.o.warn(`leftover network ${c.bridge}: ${errorMessage(e)}`));
    for (const rec of this.nets.values()) {
      await this.ensure(rec).catch((e) => this.o.warn(`user network ${rec.name}: ${errorMessage(e)}`));
      for (const [id, e] of Object.entries(rec.containers)) if (e.pending) await this.unplug(rec, id, true).catch((err) => this.o.warn(`pending endpoint ${e.name} on ${rec.name}: ${errorMessage(err)}`));
    }
    await this.rules();
  }

  /** Daemon stop: the networks stay (their containers outlive the daemon); only the watchdogs go. */
  stop(): void {
    for (const d of this.dns.values()) d.detach();
  }

  private dnsmasq(rec: Pick<UserNetRecord, 'bridge' | 'gateway'>): Dnsmasq {
    let d = this.dns.get(rec.bridge);
    if (!d) this.dns.set(rec.bridge, (d = new Dnsmasq({ bridge: rec.bridge, address: rec.gateway, tag: this.o.tag, root: this.o.dnsRoot})));
    return d;
  }

  private async ensure(rec: UserNetRecord): Promise<void> {
    await this.o.claims.claim({ tag: this.o.tag, id: rec.id, bridge: rec.bridge }, { subnet: rec.subnet, gateway: rec.gateway });
    await ensureBridge(rec);
    await installGuard(rec.bridge);
    const d = this.dnsmasq(rec);
    await d.start();
    await d.setRecords(this.records(rec));
  }

  private async teardown(c: { id: string; bridge: string; subnet: string; gateway: string }): Promise<void> {
    await this.dnsmasq(c).stop();
    this.dns.delete(c.bridge);
    await removeBridge(c.bridge, c.id, this.o.ipamDir);
    await this.o.claims.release(c.subnet);
  }

  private rules(): Promise<void> {
    return applyIsolation(this.o.tag, this.o.defaultBridge, [...this.nets.values()]);
  }

  private records(rec: UserNetRecord) {
    return Object.entries(rec.containers).filter(([, e]) => e.ip).map(([id, e]) => ({ ip: e.ip, names: [...new Set([e.name, ...e.aliases, id.slice(0, 12)])] }));
  }

  private find(nameOrId: string): UserNetRecord {
    const all = [...this.nets.values()];
    const n = all.find((r) => r.name === nameOrId) ?? all.find((r) => r.id === nameOrId) ?? (nameOrId.length >= 3 ? all.filter((r) => r.id.startsWith(nameOrId)) : []).find((_, __, a) => a.length === 1);
    if (!n) throw new NotFound(`network ${nameOrId} not found`);
    return n;
  }

  private info(r: UserNetRecord): UserNetworkInfo {
    return {
      id: r.id,
      name: r.name,
      driver: 'bridge',
      bridge: r.bridge,
      subnet: r.subnet,
      gateway: r.gateway,
      internal: r.internal,
      labels: r.labels,
      createdAt: r.createdAt,
      containers: Object.fromEntries(Object.entries(r.containers).filter(([, e]) => !e.pending && e.ip).map(([id, e]) => [id, { name: e.name, ip: e.ip, aliases: e.aliases }])),
      ...(this.dns.has(r.bridge) ? { dnsServer: r.gateway } : {}),
    };
  }

  create(reqIn: UserNetworkCreate): Promise<UserNetworkInfo> {
    const p = userNetworkCreateSchema.safeParse(reqIn);
    if (!p.success) throw new InvalidArgument(`network create: ${p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
    const req = p.data;
    if (req.gateway && !req.subnet) throw new InvalidArgument('--gateway needs --subnet');
    return this.lock.runExclusive(async () => {
      if ([...this.nets.values()].some((n) => n.name === req.name)) throw new AlreadyExists(`network with name ${req.name} already exists`);
      const id = randomBytes(32).toString('hex');
      const bridge = `${userBridgePrefix}${id.slice(0, 8)}`;
      const claim = await this.o.claims.claim({ tag: this.o.tag, id, bridge }, req.subnet ? { subnet: req.subnet, gateway: req.gateway } : undefined);
      const rec: UserNetRecord = { id, name: req.name, subnet: claim.subnet, gateway: claim.gateway, bridge, internal: !!req.internal, labels: req.labels ?? {}, createdAt: new Date().toISOString(), containers: {} };
      this.nets.set(id, rec);
      try {
        await this.save();
        await this.ensure(rec);
        await this.rules();
      } catch (e) {
        this.nets.delete(id);
        await this.save().catch(() => undefined);
        await this.teardown(rec).catch(() => undefined);
        await this.rules().catch(() => undefined);
        throw e;
      }
      return this.info(rec);
    });
  }

  async list(): Promise<UserNetworkInfo[]> {
    return [...this.nets.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((r) => this.info(r));
  }

  async inspect(nameOrId: string): Promise<UserNetworkInfo> {
    return this.info(this.find(nameOrId));
  }

  remove(nameOrId: string): Promise<void> {
    return this.lock.runExclusive(() => this.removeLocked(this.find(nameOrId)));
  }

  private async removeLocked(rec: UserNetRecord): Promise<void> {
    // As in Docker, only running containers hold a network; stopped ones' connections go with it.
    const attached = Object.values(rec.containers).filter(plugged).map((e) => e.name);
    if (attached.length) throw new FailedPrecondition(`network ${rec.name} has active endpoints (${attached.join(', ')}): stop or disconnect them first`);
    // The record goes first: a crash from here leaves a claim of ours without a record, removed at boot.
    this.nets.delete(rec.id);
    await this.save();
    await this.teardown(rec);
    await this.rules();
  }

  prune(): Promise<string[]> {
    return this.lock.runExclusive(async () => {
      const out: string[] = [];
      for (const r of [...this.nets.values()]) {
        if (Object.values(r.containers).some(plugged)) continue;
        await this.removeLocked(r);
        out.push(r.name);
      }
      return out;
    });
  }

  /** Container start on a user network: eth0 on its bridge. */
  attachPrimary(containerId: string, nameOrId: string, opts: { name?: string; aliases?: string[]; ports: PortMapping[] }): Promise<NetworkAttachment> {
    return this.lock.runExclusive(async () => {
      const rec = this.find(nameOrId);
      const netns = await this.o.takeNetns(containerId);
      this.down.delete(containerId);
      const e = await this.plug(rec, containerId, { name: opts.name ?? containerId.slice(0, 12), aliases: opts.aliases ?? [], netns, ifName: 'eth0', ports: opts.ports, connected: rec.containers[containerId]?.connected });
      const prefix = Number(rec.subnet.split('/')[1]);
      return { mode: 'bridge', netnsPath: netns, ip: e.ip, gateway: rec.gateway, prefixLength: prefix, ports: opts.ports, cniResult: e.cniResult, dns: await userNetDns(rec.gateway), userNetwork: rec.id };
    });
  }

  connect(nameOrId: string, containerId: string, opts: { name: string; aliases?: string[]; netnsPath?: string; ports?: PortMapping[] }): Promise<NetworkAttachment> {
    return this.lock.runExclusive(async () => {
      const rec = this.find(nameOrId);
      if (rec.containers[containerId]) throw new AlreadyExists(`container ${opts.name} is already connected to network ${rec.name}`);
      const netns = opts.netnsPath || this.o.netnsPath(containerId);
      // A container that is not running (created, stopped) keeps the connection for its next start.
      if (this.down.has(containerId) || !(await exists(netns))) {
        rec.containers[containerId] = { name: opts.name, aliases: opts.aliases ?? [], ip: '', ifName: '', connected: true };
        faultPoint('network.user.connect-record');
        await this.save();
        return { mode: 'bridge', ports: [], userNetwork: rec.id };
      }
      return this.plugSecondary(rec, containerId, opts.name, opts.aliases ?? [], netns, false);
    });
  }

  /** `keepOnFailure`: a failed plug at start leaves the connection recorded; a failed connect leaves nothing. */
  private async plugSecondary(rec: UserNetRecord, containerId: string, name: string, aliases: string[], netns: string, keepOnFailure: boolean): Promise<NetworkAttachment> {
    const used = new Set([...this.nets.values()].map((r) => r.containers[containerId]?.ifName).filter(Boolean));
    let n = 1;
    while (used.has(`eth${n}`)) n++;
    const e = await this.plug(rec, containerId, { name, aliases, netns, ifName: `eth${n}`, ports: [], connected: true, keepOnFailure });
    return { mode: 'bridge', netnsPath: netns, ip: e.ip, gateway: rec.gateway, prefixLength: Number(rec.subnet.split('/')[1]), ports: [], cniResult: e.cniResult, userNetwork: rec.id };
  }

  /** Container start, after its first network: plugs the connections it keeps (eth1...) under its current name. */
  plugConnections(containerId: string, name?: string): Promise<void> {
    return this.lock.runExclusive(async () => {
      this.down.delete(containerId);
      const netns = this.o.netnsPath(containerId);
      for (const rec of this.nets.values()) {
        const e = rec.containers[containerId];
        if (!e?.connected || plugged(e)) continue;
        await this.plugSecondary(rec, containerId, name ?? e.name, e.aliases, netns, true);
      }
    });
  }

  private async plug(rec: UserNetRecord, containerId: string, o: { name: string; aliases: string[]; netns: string; ifName: string; ports: PortMapping[]; connected?: boolean; keepOnFailure?: boolean }): Promise<UserNetEndpoint> {
    const inv = { containerId: this.o.cniId(containerId), netns: o.netns, ifName: o.ifName, runtimeConfig: { portMappings: o.ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, hostIP: p.hostIp ?? '' })) } };
    await installGuard(rec.bridge);
    // Intent first: a crash after CNI ADD leaves a pending endpoint that boot removes (CNI DEL).
    const kept = o.connected ? { connected: true } : {};
    rec.containers[containerId] = { name: o.name, aliases: o.aliases, ip: '', ifName: o.ifName, pending: true, ...kept };
    await this.save();
    faultPoint('network.user.cni-add');
    let result: CniResult | undefined;
    try {
      result = await addNetworkList(this.o.pluginDir, userNetConfList(rec, this.o.ipamDir, o.ports.length > 0), inv);
    } catch (e) {
      await this.unplug(rec, containerId, !!o.keepOnFailure).catch(() => undefined);
      throw e;
    }
    const ip = result?.ips?.[0]?.address?.split('/')[0] ?? '';
    const e: UserNetEndpoint = { name: o.name, aliases: o.aliases, ip, ifName: o.ifName, cniResult: result, ...kept };
    rec.containers[containerId] = e;
    await this.save();
    await this.dnsmasq(rec).setRecords(this.records(rec));
    return e;
  }

  disconnect(nameOrId: string, containerId: string): Promise<void> {
    return this.lock.runExclusive(() => {
      const rec = this.find(nameOrId);
      if (!rec.containers[containerId]) throw new NotFound(`the container is not connected to network ${rec.name}`);
      return this.unplug(rec, containerId, false);
    });
  }

  /** Takes the endpoint off the bridge; `keep`: a connection stays recorded (unplugged) for the next start. */
  private async unplug(rec: UserNetRecord, containerId: string, keep: boolean, withPorts = true): Promise<void> {
    const e = rec.containers[containerId];
    if (!e) return;
    if (!plugged(e)) {
      if (keep) return;
      delete rec.containers[containerId];
      faultPoint('network.user.disconnect-record');
      return this.save();
    }
    const cniId = this.o.cniId(containerId);
    const netns = this.o.netnsPath(containerId);
    const present = await exists(netns);
    faultPoint('network.user.cni-del');
    await delNetworkList(this.o.pluginDir, userNetConfList(rec, this.o.ipamDir, withPorts), { containerId: cniId, netns: present ? netns : '', ifName: e.ifName }, e.cniResult as CniResult | undefined).catch((err) => this.o.warn(`CNI DEL of ${e.name} on ${rec.name}: ${errorMessage(err)}`));
    // Rules are found by the CNI id, which all of a container's networks share: only its eth0 (the
    // one with ports) purges, else it would take the masquerade chain of its other network.
    if (withPorts && e.ifName === 'eth0') await purgeRulesFor(cniId);
    if (keep && e.connected) rec.containers[containerId] = { name: e.name, aliases: e.aliases, ip: '', ifName: '', connected: true };
    else delete rec.containers[containerId];
    await this.save();
    await this.dnsmasq(rec).setRecords(this.records(rec));
  }

  /** Container stop or remove: off every user network; its connections stay recorded (forget drops them). */
  detachAll(containerId: string): Promise<void> {
    return this.lock.runExclusive(async () => {
      this.down.add(containerId);
      // Connections (eth1...) first, eth0 last: eth0's unplug purges the rules of the CNI id.
      const nets = [...this.nets.values()].sort((a, b) => Number(a.containers[containerId]?.ifName === 'eth0') - Number(b.containers[containerId]?.ifName === 'eth0'));
      for (const rec of nets) await this.unplug(rec, containerId, true);
    });
  }

  /** Container removed: its connections go too. */
  forget(containerId: string): Promise<void> {
    return this.lock.runExclusive(async () => {
      this.down.delete(containerId);
      for (const rec of this.nets.values()) await this.unplug(rec, containerId, false);
    });
  }

  /** Boot: containers not in `keep` (not running) leave every bridge; their connections stay recorded. */
  keepContainers(keep: ReadonlySet<string>): Promise<void> {
    return this.lock.runExclusive(async () => {
      for (const rec of this.nets.values()) for (const id of Object.keys(rec.containers)) if (!keep.has(id)) await this.unplug(rec, id, true);
    });
  }

  renamed(containerId: string, name: string): Promise<void> {
    return this.lock.runExclusive(async () => {
      for (const rec of this.nets.values()) {
        const e = rec.containers[containerId];
        if (!e) continue;
        e.name = name;
        await this.save();
        await this.dnsmasq(rec).setRecords(this.records(rec));
      }
    });
  }
}
