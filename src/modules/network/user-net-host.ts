// The host side of one user network: its Linux bridge (made at create, as Docker does, so its DNS
// server can bind at once), its CNI configuration (bridge + host-local on its own subnet and lease
// directory, portmap for published ports) and its teardown.
import { access, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Internal } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import type { CniConfList } from './cni.js';
import { removeGuard } from './guard.js';
import { runCommand } from './iptables.js';

export interface UserNetRecord {
  id: string;
  name: string;
  subnet: string;
  gateway: string;
  bridge: string;
  internal: boolean;
  labels: Record<string, string>;
  createdAt: string;
  /** Attached containers: id -> DNS names, address, interface in its netns, CNI result for DEL. */
  containers: Record<string, UserNetEndpoint>;
}

export interface UserNetEndpoint {
  name: string;
  aliases: string[];
  ip: string;
  ifName: string;
  cniResult?: unknown;
  /** Written before CNI ADD; cleared once it is done (boot removes a pending one). */
  pending?: boolean;
  /**
   * Made by connect: part of the container's configuration (as in Docker), so it stays while the
   * container is stopped (unplugged: no ip, no ifName) and is plugged again at its next start.
   */
  connected?: boolean;
}

/** CNI network name: also the host-local lease directory under the IPAM dir. */
export const cniNetName = (id: string): string => `llmos-u-${id.slice(0, 12)}`;

export function userNetConfList(rec: UserNetRecord, ipamDir: string, withPorts: boolean): CniConfList {
  const plugins: CniConfList['plugins'] = [
    {
      type: 'bridge',
      bridge: rec.bridge,
      isGateway: true,
      // An internal network has no way out: no masquerade, no default route.
      ipMasq: !rec.internal,
      hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: rec.subnet, gateway: rec.gateway }]], routes: rec.internal ? [] : [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
    },
  ];
  if (withPorts) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
  return { cniVersion: '1.0.0', name: cniNetName(rec.id), plugins };
}

export async function linkExists(name: string): Promise<boolean> {
  return access(`/sys/class/net/${name}`).then(
    () => true,
    () => false,
  );
}

/** Creates the bridge with the gateway address, up (idempotent). */
export async function ensureBridge(rec: Pick<UserNetRecord, 'bridge' | 'subnet' | 'gateway'>): Promise<void> {
  const prefix = rec.subnet.split('/')[1];
  if (!(await linkExists(rec.bridge))) {
    faultPoint('network.user.bridge-add');
    const a = await runCommand('ip', ['link', 'add', rec.bridge, 'type', 'bridge']);
    if (a.code !== 0 && !(await linkExists(rec.bridge))) throw new Internal(`ip link add ${rec.bridge}: ${a.stderr.trim()}`);
  }
  await pinBridgeAddress(rec.bridge);
  const r = await runCommand('ip', ['addr', 'replace', `${rec.gateway}/${prefix}`, 'dev', rec.bridge]);
  if (r.code !== 0) throw new Internal(`ip addr replace ${rec.gateway}/${prefix} dev ${rec.bridge}: ${r.stderr.trim()}`);
  const u = await runCommand('ip', ['link', 'set', rec.bridge, 'up']);
  if (u.code !== 0) throw new Internal(`ip link set ${rec.bridge} up: ${u.stderr.trim()}`);
}

/**
 * Fixes the bridge's MAC address. A bridge whose address was never set takes the lowest of its
 * ports' (random) addresses, so it changes as containers come and go, and containers that cached
 * the gateway's old address lose their DNS server and route for up to a minute (ARP). Setting it
 * (to its current value, so a running network keeps its address) stops the kernel changing it, as
 * Docker does for its bridges. addr_assign_type 3 is NET_ADDR_SET.
 */
export async function pinBridgeAddress(bridge: string): Promise<void> {
  const sys = `/sys/class/net/${bridge}`;
  if ((await readFile(`${sys}/addr_assign_type`, 'utf8')).trim() === '3') return;
  const mac = (await readFile(`${sys}/address`, 'utf8')).trim();
  const r = await runCommand('ip', ['link', 'set', bridge, 'address', mac]);
  if (r.code !== 0) throw new Internal(`ip link set ${bridge} address ${mac}: ${r.stderr.trim()}`);
}

/** Removes the bridge, its loopback guard and its lease directory (idempotent). */
export async function removeBridge(bridge: string, id: string, ipamDir: string): Promise<void> {
  await removeGuard(bridge);
  if (await linkExists(bridge)) {
    faultPoint('network.user.bridge-del');
    const r = await runCommand('ip', ['link', 'del', bridge]);
    if (r.code !== 0 && (await linkExists(bridge))) throw new Internal(`ip link del ${bridge}: ${r.stderr.trim()}`);
  }
  await rm(path.join(ipamDir, cniNetName(id)), { recursive: true, force: true });
}

/**
 * A user network's resolv.conf, as Docker writes it: its DNS server, the host's search domains and
 * ndots:0 (a name with no dot is looked up as it is first, so a container name never goes out with
 * a search suffix appended before its own record is tried).
 */
export async function userNetDns(gateway: string): Promise<{ nameservers: string[]; search: string[]; options: string[] }> {
  const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const search = [...host.matchAll(/^\s*(?:search|domain)\s+(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)).filter((d) => /^[A-Za-z0-9.-]+$/.test(d));
  return { nameservers: [gateway], search: [...new Set(search)], options: ['ndots:0'] };
}
