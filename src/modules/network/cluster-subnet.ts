// A joined node's bridge moved onto the pod subnet the server allocated, without a restart. The
// bridge can change subnet only while nothing is plugged into it: the pool's free namespaces are
// removed first (they hold addresses of the old subnet), then the bridge link itself (CNI's bridge
// plugin refuses a second IPv4 address, and its old connected route would swallow the other nodes'
// subnets); the next attach makes it again with the new gateway. The guard's masquerade, dnsmasq's
// listen address and the attach config follow. The subnet is written in the module's directory
// first, so a restart keeps it (module.ts reads it when modules.network.subnet is not set).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalCidr } from '../../contracts/network.js';
import { FailedPrecondition, InvalidArgument } from '../../kernel/errors.js';
import type { CniNetwork } from './cni-network.js';
import { validateSubnet } from './cni-network.js';
import type { GuardKeeper } from './guard-keeper.js';
import { runCommand } from './iptables.js';
import { removeMasq } from './masq.js';
import type { NetnsPool } from './netns-pool.js';
import type { ServiceNet } from './service-net.js';
import { replaceFile } from '../../kernel/replace-file.js';

/** In the network module's directory: the pod subnet the server allocated to this node. */
export const POD_SUBNET_FILE = 'pod-subnet.json';

export interface BridgeParts {
  bridge: string;
  net: CniNetwork;
  guard: GuardKeeper;
  pool: NetnsPool;
  names?: ServiceNet;
  /** The network module's directory. */
  dir: string;
}

/** The subnet a previous run adopted, if any (a file that does not parse is ignored). */
export async function savedPodSubnet(dir: string): Promise<string | undefined> {
  try {
    const s = (JSON.parse(await readFile(path.join(dir, POD_SUBNET_FILE), 'utf8')) as { subnet?: unknown }).subnet;
    return typeof s === 'string' && canonicalCidr(s) ? canonicalCidr(s) : undefined;
  } catch {
    return undefined;
  }
}

async function saveSubnet(dir: string, subnet: string): Promise<void> {
  await replaceFile(path.join(dir, POD_SUBNET_FILE), JSON.stringify({ subnet }) + '\n');
}

/** The bridge's ports, asked over netlink: /sys may be another network namespace's (a daemon started with nsenter --net). */
async function portsOf(bridge: string): Promise<string[]> {
  const r = await runCommand('ip', ['-o', 'link', 'show', 'master', bridge]);
  if (r.code !== 0) {
    if (/does not exist|Cannot find device/i.test(r.stderr)) return [];
    throw new FailedPrecondition(`ports of bridge ${bridge} not listed: ${r.stderr.trim()}`);
  }
  return r.stdout.split('\n').filter((l) => /^\d+:/.test(l));
}

/** Moves the bridge from `from` to `to`; refuses, changing nothing that matters, when a container is on the bridge. */
export async function moveBridgeSubnet(p: BridgeParts, from: string, to: string): Promise<void> {
  if (!canonicalCidr(to)) throw new InvalidArgument(`pod subnet ${JSON.stringify(to)} is not an IPv4 CIDR`);
  const gateway = validateSubnet(to).gateway;
  const refuse = (what: string) =>
    new FailedPrecondition(`the server allocated pod subnet ${to} to this node, but ${what} on bridge ${p.bridge} (${from}): remove them and start the agent again, or set modules.network.subnet to ${to} in config.json`);
  if (p.net.attaching) throw refuse('a container is being attached');
  await p.pool.drain();
  const ports = await portsOf(p.bridge);
  if (ports.length) throw refuse(`${ports.length} container${ports.length === 1 ? ' is' : 's are'}`);
  await saveSubnet(p.dir, to);
  const del = await runCommand('ip', ['link', 'del', p.bridge]);
  if (del.code !== 0 && !/Cannot find device/i.test(del.stderr)) throw new FailedPrecondition(`bridge ${p.bridge} not removed for pod subnet ${to}: ${del.stderr.trim()}`);
  p.net.setSubnet(to);
  await removeMasq(p.bridge);
  p.guard.subnet = to;
  p.guard.forget();
  await p.guard.ensure();
  await p.names?.setGateway(gateway);
}
