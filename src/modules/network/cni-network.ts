// Container networking with the real CNI plugins: one named netns per container, `loopback` on lo,
// `bridge` + `host-local` on eth0 and `portmap` for published ports. Daemons on the same host
// share the bridge and the IPAM store (so addresses never collide) and tell their own objects
// apart by a tag in the CNI container id, which is also the netns name and shows in the
// iptables comments and the lease files.
import { access, lstat, readFile, readdir, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerNetworkApi, NetworkAttachment, PortMapping } from '../../contracts/containers.js';
import { InvalidArgument, errorMessage } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { addNetworkList, delNetworkList, type CniConfList, type CniInvocation, type CniResult } from './cni.js';
import { idsInRules, natRules, purgeRulesFor, removeUnusedHostportChains, runCommand } from './iptables.js';
import { isPoolId, type NetnsPool, type PoolEntry } from './netns-pool.js';

export interface CniNetworkConfig {
  /** CNI network name (iptables comments, IPAM directory). */
  name: string;
  bridge: string;
  subnet: string;
  /** Where host-local keeps leases; shared by every daemon on the host. */
  ipamDir: string;
  pluginDir: string;
  /** Distinguishes this daemon's containers from other daemons' on the same host. */
  tag: string;
}

const netnsDir = '/var/run/netns';
/** In a stored CNI result: the attachment relies on the bridge's shared masquerade, not a chain of its own. */
const sharedMasqMark = 'llmosSharedMasq';
/** In a stored CNI result: the pooled namespace (netns-pool.ts) the attachment took, by its CNI id. */
const poolMark = 'llmosPoolId';

export { daemonTag } from '../../kernel/daemon-tag.js';

export function validateSubnet(subnet: string): { network: string; prefix: number; gateway: string } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) < 8 || Number(m[5]) > 28) throw new InvalidArgument(`subnet ${subnet} is not an IPv4 CIDR between /8 and /28`);
  const o = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  const addr = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const net = (addr & (prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0)) >>> 0;
  const ip = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
  return { network: `${ip(net)}/${prefix}`, prefix, gateway: ip(net + 1) };
}

export class CniNetwork implements ContainerNetworkApi {
  private gateway: string;
  private prefix: number;

  constructor(private c: CniNetworkConfig) {
    const s = validateSubnet(c.subnet);
    this.gateway = s.gateway;
    this.prefix = s.prefix;
    if (c.bridge.length > 15) throw new InvalidArgument(`bridge name ${c.bridge} is longer than 15 characters`);
  }

  /** A new subnet for attachments from now on (cluster-subnet.ts: only while nothing is on the bridge). */
  setSubnet(subnet: string): void {
    const s = validateSubnet(subnet);
    this.c = { ...this.c, subnet };
    this.gateway = s.gateway;
    this.prefix = s.prefix;
  }

  /** A container's attach is under way (prepared or claimed a pool entry, not yet attached). */
  get attaching(): boolean {
    return this.prepared.size > 0 || this.pooled.size > 0;
  }

  cniId(containerId: string): string {
    return `llmos-${this.c.tag}-${containerId}`;
  }

  private ownId(cniId: string): string | undefined {
    const p = `llmos-${this.c.tag}-`;
    return cniId.startsWith(p) ? cniId.slice(p.length) : undefined;
  }

  /** ipMasq: the plugin's per-container NAT chain; new attaches use the bridge's shared rule instead (masq.ts). */
  private list(withPorts: boolean, ipMasq = false): CniConfList {
    const plugins: CniConfList['plugins'] = [
      {
        type: 'bridge',
        bridge: this.c.bridge,
        isGateway: true,
        ipMasq,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: validateSubnet(this.c.subnet).network, gateway: this.gateway }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: this.c.ipamDir },
      },
    ];
    if (withPorts) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
    return { cniVersion: '1.0.0', name: this.c.name, plugins };
  }

  private readonly loopback: CniConfList = { cniVersion: '1.0.0', name: 'llmos-lo', plugins: [{ type: 'loopback' }] };

  private netnsPath(cniId: string): string {
    return path.join(netnsDir, cniId);
  }

  /** Namespaces made by prepare and not yet attached. */
  private readonly prepared = new Set<string>();
  /** Pooled namespaces claimed by prepare and not yet attached. */
  private readonly pooled = new Map<string, PoolEntry>();
  /** Set by the module when the pool is on. */
  pool?: NetnsPool;

  /** The prefix of this daemon's pool entries (netns-pool.ts). */
  get poolPrefix(): string {
    return `llmos-${this.c.tag}-pool-`;
  }

  /** opts: what the attach will need; with nothing of its own (no ports, the default bridge), a pooled namespace is taken. */
  async prepare(containerId: string, opts?: { ports: PortMapping[]; userNetwork?: string }): Promise<string> {
    const id = this.cniId(containerId);
    const netns = this.netnsPath(id);
    // A namespace left by a crash is torn down with whatever it had, then made afresh.
    if (await present(netns)) await this.detach(containerId);
    const entry = opts && !opts.ports.length && !opts.userNetwork ? this.pool?.take() : undefined;
    if (entry) {
      try {
        // The claim: the container's netns name points at the entry (runc joins through it), and boot reads it.
        await symlink(entry.cniId, netns);
        this.pooled.set(containerId, entry);
        return netns;
      } catch {
        this.pool!.giveBack(entry);
      }
    }
    // The caller recorded its intent (the container record) before this: a crash leaves a netns boot finds by its tagged name.
    faultPoint('containers.network.netns-add');
    const r = await runCommand('ip', ['netns', 'add', id]);
    if (r.code !== 0) throw new InvalidArgument(`cannot create network namespace ${id}: ${r.stderr.trim()}`);
    this.prepared.add(containerId);
    return netns;
  }

  /** A pool entry: its own namespace, plugged into the bridge with nothing container-specific (no ports). */
  async addPoolEntry(cniId: string): Promise<CniResult> {
    const netns = this.netnsPath(cniId);
    const r = await runCommand('ip', ['netns', 'add', cniId]);
    if (r.code !== 0) throw new InvalidArgument(`cannot create network namespace ${cniId}: ${r.stderr.trim()}`);
    const [, result] = (await Promise.all([addNetworkList(this.c.pluginDir, this.loopback, { containerId: cniId, netns, ifName: 'lo' }), addNetworkList(this.c.pluginDir, this.list(false), { containerId: cniId, netns, ifName: 'eth0' })])) as [unknown, CniResult];
    return result;
  }

  /** Undoes addPoolEntry (result: what ADD returned, when known). */
  removePoolEntry(cniId: string, result?: CniResult): Promise<void> {
    return this.teardown(cniId, [], result ? { ...result, [sharedMasqMark]: true } : undefined);
  }

  /** The netns prepare made for this container, or a new one (a user network's attach). */
  async takeNetns(containerId: string): Promise<string> {
    return this.prepared.delete(containerId) ? this.netnsPath(this.cniId(containerId)) : this.prepare(containerId);
  }

  containerNetns(containerId: string): string {
    return this.netnsPath(this.cniId(containerId));
  }

  async attach(containerId: string, opts: { mode: 'bridge' | 'host' | 'none'; ports: PortMapping[] }): Promise<NetworkAttachment> {
    if (opts.mode !== 'bridge') {
      if (opts.ports.length) throw new InvalidArgument(`published ports need the bridge network, not ${opts.mode}`);
      return { mode: opts.mode, ports: [] };
    }
    const id = this.cniId(containerId);
    const pooled = this.pooled.get(containerId);
    if (pooled && !opts.ports.length) {
      this.pooled.delete(containerId);
      const addr = pooled.result.ips?.[0]?.address;
      return { mode: 'bridge', netnsPath: this.netnsPath(id), ip: addr?.split('/')[0], gateway: this.gateway, prefixLength: this.prefix, ports: [], cniResult: { ...pooled.result, [sharedMasqMark]: true, [poolMark]: pooled.cniId } };
    }
    const netns = this.prepared.delete(containerId) ? this.netnsPath(id) : await this.prepare(containerId);
    const inv: CniInvocation = {
      containerId: id,
      netns,
      ifName: 'eth0',
      runtimeConfig: { portMappings: opts.ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, hostIP: p.hostIp ?? '' })) },
    };
    try {
      faultPoint('containers.network.cni-add');
      // lo and eth0 are independent: configure both at once.
      const [, result] = (await Promise.all([addNetworkList(this.c.pluginDir, this.loopback, { containerId: id, netns, ifName: 'lo' }), addNetworkList(this.c.pluginDir, this.list(opts.ports.length > 0), inv)])) as [unknown, CniResult];
      const addr = result.ips?.[0]?.address;
      // Marked, so that the DEL of this attachment skips the plugin's ipMasq clean-up (an older attachment has no mark).
      return { mode: 'bridge', netnsPath: netns, ip: addr?.split('/')[0], gateway: this.gateway, prefixLength: this.prefix, ports: opts.ports, cniResult: { ...result, [sharedMasqMark]: true } };
    } catch (e) {
      await this.detach(containerId, { mode: 'bridge', netnsPath: netns, ports: opts.ports }).catch(() => undefined);
      throw e;
    }
  }

  async detach(containerId: string, att?: NetworkAttachment): Promise<void> {
    if (att && att.mode !== 'bridge') return;
    this.prepared.delete(containerId);
    this.pooled.delete(containerId);
    const id = this.cniId(containerId);
    await this.teardown(id, att ? att.ports : undefined, att?.cniResult as CniResult | undefined);
  }

  /** The pool entry a container's netns name points at (its claim), if it is a symlink. */
  private async claimOf(cniId: string): Promise<string | undefined> {
    const t = await readlink(this.netnsPath(cniId)).catch(() => undefined);
    return t && isPoolId(path.basename(t), this.poolPrefix) ? path.basename(t) : undefined;
  }

  /** ports undefined: not known (a leftover), so portmap runs and rules are found by comment. */
  private async teardown(id: string, ports: PortMapping[] | undefined, prev?: CniResult): Promise<void> {
    // A claimed pool entry: the entry is undone, then the claim goes (kept on failure, so a retry finds it).
    const { [poolMark]: marked, ...rest } = prev ?? {};
    const claimed = (typeof marked === 'string' ? marked : undefined) ?? (await this.claimOf(id));
    if (claimed) {
      await this.teardown(claimed, [], prev ? (rest as CniResult) : undefined);
      await rm(this.netnsPath(id), { force: true });
      return;
    }
    const netns = this.netnsPath(id);
    const present = await exists(netns);
    const withPorts = ports === undefined || ports.length > 0;
    // Not ours to know (a leftover, an attachment made before the shared masquerade): the plugin removes its chain too.
    const { [sharedMasqMark]: shared, ...result } = prev ?? {};
    prev = prev ? result : undefined;
    const inv: CniInvocation = { containerId: id, netns: present ? netns : '', ifName: 'eth0', runtimeConfig: { portMappings: (ports ?? []).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, hostIP: p.hostIp ?? '' })) } };
    let err: unknown;
    try {
      faultPoint('containers.network.cni-del');
      await delNetworkList(this.c.pluginDir, this.list(withPorts, shared !== true), inv, prev);
    } catch (e) {
      err = e;
    }
    if (present) {
      faultPoint('containers.network.netns-del');
      const r = await runCommand('ip', ['netns', 'del', id]);
      if (r.code !== 0 && (await exists(netns))) err ??= new Error(`ip netns del ${id}: ${r.stderr.trim()}`);
    }
    if (withPorts) {
      faultPoint('containers.network.rules-purge');
      await purgeRulesFor(id);
      await removeUnusedHostportChains();
    }
    if (err) throw err;
  }

  /** CNI ids of ours named by leases of this network. */
  private async leaseIds(): Promise<Map<string, string>> {
    const dir = path.join(this.c.ipamDir, this.c.name);
    const out = new Map<string, string>();
    let files: string[] = [];
    try {
      files = await readdir(dir);
    } catch {
      return out;
    }
    await Promise.all(
      files
        .filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f))
        .map(async (f) => {
          const text = await readFile(path.join(dir, f), 'utf8').catch(() => '');
          const cid = text.split(/\r?\n/)[0]?.trim();
          if (cid) out.set(f, cid);
        }),
    );
    return out;
  }

  async residue(containerId: string): Promise<string[]> {
    const id = this.cniId(containerId);
    const found: string[] = [];
    if (await present(this.netnsPath(id))) found.push(`netns ${id}`);
    for (const [ip, cid] of await this.leaseIds()) if (cid === id) found.push(`IPAM lease ${ip}`);
    for (const r of await natRules()) if (r.includes(id)) found.push(`iptables nat: ${r}`);
    return found;
  }

  async removeLeftovers(keep: ReadonlySet<string>): Promise<string[]> {
    const candidates = new Set<string>();
    const netns = await readdir(netnsDir).catch(() => [] as string[]);
    // Pool entries claimed by a container (its netns name is a symlink to the entry) live and go with it.
    const claimant = new Map<string, string>();
    for (const n of netns) {
      if (!this.ownId(n)) continue;
      candidates.add(n);
      const entry = await this.claimOf(n);
      if (entry) claimant.set(entry, this.ownId(n)!);
    }
    for (const cid of (await this.leaseIds()).values()) if (this.ownId(cid)) candidates.add(cid);
    for (const cid of idsInRules(await natRules())) if (this.ownId(cid)) candidates.add(cid);
    const removed: string[] = [];
    for (const cid of candidates) {
      if (keep.has(this.ownId(cid)!) || this.pool?.holds(cid)) continue;
      // A claimed entry goes with its claimant: kept with it, or removed through it.
      if (claimant.has(cid)) continue;
      try {
        await this.teardown(cid, isPoolId(cid, this.poolPrefix) ? [] : undefined);
        removed.push(`network of ${cid}`);
      } catch (e) {
        removed.push(`network of ${cid} (partly: ${errorMessage(e)})`);
      }
    }
    return removed;
  }
}

/** The netns name exists (a symlink of a pooled claim counts, even when it dangles). */
async function present(p: string): Promise<boolean> {
  return lstat(p).then(() => true, () => false);
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
