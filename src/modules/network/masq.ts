// Outbound NAT for the container bridge as one shared rule set, as Docker and podman's netavark do,
// instead of the bridge plugin's ipMasq (a chain per container: 9 iptables processes on ADD and 5
// on DEL, all on the start and removal path). Traffic from the subnet that leaves by another
// interface than the bridge is masqueraded; traffic back onto the bridge (container to container,
// hairpin) and multicast is not, as with ipMasq's per-container chain. Installed with the guard
// (guard-keeper.ts: once per boot, again when the epoch moves) and removed with it.
import { Internal } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { runCommand } from './iptables.js';
import { splitRule } from './guard.js';

/** iptables chain names are at most 28 characters; bridge names at most 15. */
export const masqChain = (bridge: string): string => `LLMOS-MASQ-${bridge}`;

/** The chain's rules and the POSTROUTING jump, exactly as `iptables -S` prints them. */
export function masqRules(bridge: string, subnet: string): { chain: string[]; jump: string } {
  const c = masqChain(bridge);
  const comment = `-m comment --comment "llmos: masquerade ${bridge}"`;
  return {
    // Frames only bridged through this host are not ours to rewrite. With br_netfilter loaded
    // (Docker loads it), they pass this hook too: netns test hosts on another bridge, whose pod
    // subnets lie inside this one, had their pod-to-pod traffic masqueraded (issue 19's flaky step).
    chain: [`-A ${c} -m physdev --physdev-is-bridged ${comment} -j RETURN`, `-A ${c} -o ${bridge} ${comment} -j RETURN`, `-A ${c} -d 224.0.0.0/4 ${comment} -j RETURN`, `-A ${c} ${comment} -j MASQUERADE`],
    jump: `-A POSTROUTING -s ${subnet} ${comment} -j ${c}`,
  };
}

async function nat(args: string[]): Promise<{ code: number; stderr: string }> {
  const r = await runCommand('iptables', ['-w', '5', '-t', 'nat', ...args]);
  return { code: r.code, stderr: r.stderr };
}

/** The nat table as `iptables -S` prints it (empty when iptables fails). */
export async function natTable(): Promise<string[]> {
  const r = await runCommand('iptables', ['-w', '5', '-t', 'nat', '-S']);
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

export function masqInstalledIn(rules: readonly string[], bridge: string, subnet: string): boolean {
  const want = masqRules(bridge, subnet);
  return rules.includes(`-N ${masqChain(bridge)}`) && want.chain.every((r) => rules.includes(r)) && rules.includes(want.jump);
}

/** Idempotent, like installGuard: safe from several daemons sharing the bridge. */
export async function installMasq(bridge: string, subnet: string, natRead?: readonly string[]): Promise<void> {
  const rules = natRead ?? (await natTable());
  if (masqInstalledIn(rules, bridge, subnet)) return;
  faultPoint('network.masq.install');
  // One atomic iptables-restore: declaring the chain creates it or flushes it, so it ends exactly ours.
  const r = await runCommand('iptables-restore', ['-w', '5', '--noflush'], masqScript(rules, bridge, subnet));
  if (r.code !== 0) throw new Internal(`iptables-restore of ${masqChain(bridge)}: ${r.stderr.trim()}`);
}

/** The restore script: the chain rebuilt, the POSTROUTING jump appended when missing (the cluster's pod-to-pod ACCEPT, inserted first, stays before it). */
export function masqScript(rules: readonly string[], bridge: string, subnet: string): string {
  const want = masqRules(bridge, subnet);
  return ['*nat', `:${masqChain(bridge)} - [0:0]`, ...want.chain, ...(rules.includes(want.jump) ? [] : [want.jump]), 'COMMIT', ''].join('\n');
}

/** Removes the jump(s) and the chain; returns whether anything was there. */
export async function removeMasq(bridge: string): Promise<boolean> {
  const c = masqChain(bridge);
  const rules = await natTable();
  if (!rules.includes(`-N ${c}`) && !rules.some((r) => r.endsWith(`-j ${c}`))) return false;
  faultPoint('network.masq.remove');
  for (const r of rules.filter((x) => x.startsWith('-A POSTROUTING ') && x.endsWith(`-j ${c}`))) await nat(['-D', ...splitRule(r).slice(1)]);
  await nat(['-F', c]);
  const x = await nat(['-X', c]);
  if (x.code !== 0 && (await natTable()).includes(`-N ${c}`)) throw new Internal(`iptables -t nat -X ${c}: ${x.stderr.trim()}`);
  return true;
}
