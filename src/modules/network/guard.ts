// The bridge guard: a chain of LLMOS's own in the raw table that drops packets arriving from the
// container bridge addressed to 127.0.0.0/8. portmap's `snat: true` sets route_localnet=1 on the
// bridge (so published ports answer on 127.0.0.1), which also lets a container that forges a
// packet to 127.0.0.1 reach every service on the host's loopback (the API, the function gateway).
// raw PREROUTING sees the packet before conntrack and routing, so nothing on the host answers it.
// Other host addresses (the bridge gateway, the host's own interfaces) stay reachable, as with
// Docker: published ports, hairpin traffic and services bound to 0.0.0.0 depend on them.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Internal } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { runCommand } from './iptables.js';

/** iptables chain names are at most 28 characters; bridge names at most 15. */
export const guardChain = (bridge: string): string => `LLMOS-GUARD-${bridge}`;

/** The guard chain's rules, exactly as `iptables -S` prints them (its option order), to compare. */
export function guardRules(bridge: string): string[] {
  const c = guardChain(bridge);
  return [`-A ${c} -d 127.0.0.0/8 -i ${bridge} -m comment --comment "llmos: no loopback from containers" -j DROP`];
}

const jump = (bridge: string): string[] => ['PREROUTING', '-i', bridge, '-j', guardChain(bridge)];

async function ipt(args: string[]): Promise<{ code: number; stderr: string }> {
  const r = await runCommand('iptables', ['-w', '5', '-t', 'raw', ...args]);
  return { code: r.code, stderr: r.stderr };
}

async function rawRules(): Promise<string[]> {
  const r = await runCommand('iptables', ['-w', '5', '-t', 'raw', '-S']);
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/**
 * Installs the guard (idempotent: safe to call at every attach and from several daemons that
 * share the bridge). The rule matches the interface by name, so it works before the bridge exists.
 * Concurrent iptables writers can make one command fail; the whole install is retried.
 */
export async function installGuard(bridge: string, raw?: readonly string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // The raw table as the caller just read it (iptables-save), on the first attempt only.
      return await installOnce(bridge, attempt === 1 ? raw : undefined);
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

async function installOnce(bridge: string, raw?: readonly string[]): Promise<void> {
  const c = guardChain(bridge);
  const rules = raw ?? (await rawRules());
  const want = guardRules(bridge);
  if (rules.includes(`-N ${c}`) && want.every((r) => rules.includes(r)) && rules.some((r) => r === `-A ${jump(bridge).join(' ')}`)) return;
  faultPoint('network.guard.install');
  if (!rules.includes(`-N ${c}`)) {
    const n = await ipt(['-N', c]);
    if (n.code !== 0 && !/exists/i.test(n.stderr)) throw new Internal(`iptables -t raw -N ${c}: ${n.stderr.trim()}`);
  }
  for (const r of want) {
    const args = splitRule(r).slice(1);
    if ((await ipt(['-C', ...args])).code !== 0) {
      const a = await ipt(['-A', ...args]);
      if (a.code !== 0) throw new Internal(`iptables -t raw -A ${args.join(' ')}: ${a.stderr.trim()}`);
    }
  }
  if ((await ipt(['-C', ...jump(bridge)])).code !== 0) {
    // First in PREROUTING: nothing before it may accept the packet.
    const j = await ipt(['-I', ...jump(bridge).slice(0, 1), '1', ...jump(bridge).slice(1)]);
    if (j.code !== 0) throw new Internal(`iptables -t raw -I PREROUTING: ${j.stderr.trim()}`);
  }
}

const epochDir = '/run/llmos';
const epochFile = (bridge: string): string => `${epochDir}/guard-${bridge}.epoch`;

/** The host-wide epoch of a bridge's guard: it moves before every removal (guard-keeper.ts). */
export async function guardEpoch(bridge: string): Promise<string> {
  return readFile(epochFile(bridge), 'utf8').catch(() => '');
}

/** Called by anything about to remove a bridge's guard, before it looks at the bridge's ports. */
export async function bumpGuardEpoch(bridge: string): Promise<void> {
  await mkdir(epochDir, { recursive: true, mode: 0o755 });
  await writeFile(epochFile(bridge), `${process.pid}-${Date.now()}-${randomBytes(6).toString('hex')}`);
}

/** Removes the jump(s) and the chain; returns whether anything was there. */
export async function removeGuard(bridge: string): Promise<boolean> {
  const c = guardChain(bridge);
  // Daemons that cached the guard as installed check it again at their next attach.
  await bumpGuardEpoch(bridge);
  const rules = await rawRules();
  if (!rules.includes(`-N ${c}`) && !rules.some((r) => r.includes(`-j ${c}`))) return false;
  faultPoint('network.guard.remove');
  for (const r of rules.filter((x) => x.startsWith('-A PREROUTING ') && x.endsWith(`-j ${c}`))) await ipt(['-D', ...splitRule(r).slice(1)]);
  await ipt(['-F', c]);
  const x = await ipt(['-X', c]);
  if (x.code !== 0 && (await rawRules()).includes(`-N ${c}`)) throw new Internal(`iptables -t raw -X ${c}: ${x.stderr.trim()}`);
  return true;
}

/** Whether the guard is fully in place (for tests and the leak checker). */
export async function guardInstalled(bridge: string): Promise<boolean> {
  const rules = await rawRules();
  return rules.includes(`-N ${guardChain(bridge)}`) && guardRules(bridge).every((r) => rules.includes(r)) && rules.includes(`-A ${jump(bridge).join(' ')}`);
}

/** Splits an `iptables -S` line into arguments (double-quoted parts, as in comments, stay whole). */
export function splitRule(rule: string): string[] {
  const out: string[] = [];
  for (const m of rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}
