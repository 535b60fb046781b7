// The host side of one user network: its Linux bridge (made at create, as Docker does, so its DNS
// server can bind at once), its CNI configuration (bridge + host-local on its own subnet and lease
// directory, portmap for published ports) and its teardown.
import { access, rm } from 'node:fs/promises';
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
  const r = await runCommand('ip', ['addr', 'replace', `${rec.gateway}/${prefix}`, 'dev', rec.bridge]);
  if (r.code !== 0) throw new Internal(`ip addr replace ${rec.gateway}/${prefix} dev ${rec.bridge}: ${r.stderr.trim()}`);
  const u = await runCommand('ip', ['link', 'set', rec.bridge, 'up']);
  if (u.code !== 0) throw new Internal(`ip link set ${rec.bridge} up: ${u.stderr.trim()}`);
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
