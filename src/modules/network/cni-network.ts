// Container networking with the real CNI plugins: one named netns per container, `loopback` on lo,
// `bridge` + `host-local` on eth0 and `portmap` for published ports. Daemons on the same host
// share the bridge and the IPAM store (so addresses never collide) and tell their own objects
// apart by a tag in the CNI container id, which is also the netns name and shows in the
// iptables comments and the lease files.
import { access, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerNetworkApi, NetworkAttachment, PortMapping } from '../../contracts/containers.js';
import { InvalidArgument, errorMessage } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { addNetworkList, delNetworkList, type CniConfList, type CniInvocation, type CniResult } from './cni.js';
import { idsInRules, natRules, purgeRulesFor, removeUnusedHostportChains, runCommand } from './iptables.js';

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
  private readonly gateway: string;
  private readonly prefix: number;

  constructor(private readonly c: CniNetworkConfig) {
    const s = validateSubnet(c.subnet);
    this.gateway = s.gateway;
    this.prefix = s.prefix;
    if (c.bridge.length > 15) throw new InvalidArgument(`bridge name ${c.bridge} is longer than 15 characters`);
  }

  cniId(containerId: string): string {
    return `llmos-${this.c.tag}-${containerId}`;
  }

  private ownId(cniId: string): string | undefined {
    const p = `llmos-${this.c.tag}-`;
    return cniId.startsWith(p) ? cniId.slice(p.length) : undefined;
  }

  private list(withPorts: boolean): CniConfList {
    const plugins: CniConfList['plugins'] = [
      {
        type: 'bridge',
        bridge: this.c.bridge,
        isGateway: true,
        ipMasq: true,
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

  async prepare(containerId: string): Promise<string> {
    const id = this.cniId(containerId);
    const netns = this.netnsPath(id);
    // A namespace left by a crash is torn down with whatever it had, then made afresh.
    if (await exists(netns)) await this.detach(containerId);
    // The caller recorded its intent (the container record) before this: a crash leaves a netns boot finds by its tagged name.
    faultPoint('containers.network.netns-add');
    const r = await runCommand('ip', ['netns', 'add', id]);
    if (r.code !== 0) throw new InvalidArgument(`cannot create network namespace ${id}: ${r.stderr.trim()}`);
    this.prepared.add(containerId);
    return netns;
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
      return { mode: 'bridge', netnsPath: netns, ip: addr?.split('/')[0], gateway: this.gateway, prefixLength: this.prefix, ports: opts.ports, cniResult: result };
    } catch (e) {
      await this.detach(containerId, { mode: 'bridge', netnsPath: netns, ports: opts.ports }).catch(() => undefined);
      throw e;
    }
  }

  async detach(containerId: string, att?: NetworkAttachment): Promise<void> {
    if (att && att.mode !== 'bridge') return;
    this.prepared.delete(containerId);
    const id = this.cniId(containerId);
    await this.teardown(id, att ? att.ports : undefined, att?.cniResult as CniResult | undefined);
  }

  /** ports undefined: not known (a leftover), so portmap runs and rules are found by comment. */
  private async teardown(id: string, ports: PortMapping[] | undefined, prev?: CniResult): Promise<void> {
    const netns = this.netnsPath(id);
    const present = await exists(netns);
    const withPorts = ports === undefined || ports.length > 0;
    const inv: CniInvocation = { containerId: id, netns: present ? netns : '', ifName: 'eth0', runtimeConfig: { portMappings: (ports ?? []).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, hostIP: p.hostIp ?? '' })) } };
    let err: unknown;
    try {
      faultPoint('containers.network.cni-del');
      await delNetworkList(this.c.pluginDir, this.list(withPorts), inv, prev);
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
    if (await exists(this.netnsPath(id))) found.push(`netns ${id}`);
    for (const [ip, cid] of await this.leaseIds()) if (cid === id) found.push(`IPAM lease ${ip}`);
    for (const r of await natRules()) if (r.includes(id)) found.push(`iptables nat: ${r}`);
    return found;
  }

  async removeLeftovers(keep: ReadonlySet<string>): Promise<string[]> {
    const candidates = new Set<string>();
    const netns = await readdir(netnsDir).catch(() => [] as string[]);
    for (const n of netns) if (this.ownId(n)) candidates.add(n);
    for (const cid of (await this.leaseIds()).values()) if (this.ownId(cid)) candidates.add(cid);
    for (const cid of idsInRules(await natRules())) if (this.ownId(cid)) candidates.add(cid);
    const removed: string[] = [];
    for (const cid of candidates) {
      if (keep.has(this.ownId(cid)!)) continue;
      try {
        await this.teardown(cid, undefined);
        removed.push(`network of ${cid}`);
      } catch (e) {
        removed.push(`network of ${cid} (partly: ${errorMessage(e)})`);
      }
    }
    return removed;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
