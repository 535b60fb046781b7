// Isolation of user networks, as Docker's DOCKER-ISOLATION chains: two filter chains of this
// daemon, rebuilt whole (one iptables-restore) whenever its networks change. FORWARD: traffic stays
// on its own bridge (no user network reaches another, or the default bridge, or back), and an
// internal network forwards nothing at all (no route out). INPUT: a network's DNS server answers
// only its own bridge (and the host), so no container can ask another network's records.
// Every rule carries the daemon's `llmos-TAG-` comment, so the leak checker sees them.
import { Internal } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { runCommand } from './iptables.js';

export interface IsolatedNet {
  bridge: string;
  gateway: string;
  internal: boolean;
}

/** Bridges of user networks start with this (any daemon's): `-o llmosu+` matches them all. */
export const userBridgePrefix = 'llmosu';

export const isolationChains = (tag: string) => ({ forward: `LLMOS-UNF-${tag}`, input: `LLMOS-UNI-${tag}` });

/** The iptables-restore script (filter table) making both chains hold exactly the rules for `nets`. */
export function isolationScript(tag: string, defaultBridge: string, nets: readonly IsolatedNet[]): string {
  const { forward: f, input: i } = isolationChains(tag);
  const c = (what: string) => `-m comment --comment "llmos-${tag}-${what}"`;
  const lines = ['*filter', `:${f} - [0:0]`, `:${i} - [0:0]`];
  // Traffic that stays on one bridge is that network's own business.
  for (const n of nets) lines.push(`-A ${f} -i ${n.bridge} -o ${n.bridge} ${c(`net-${n.bridge}`)} -j RETURN`);
  for (const n of nets) {
    if (n.internal) {
      lines.push(`-A ${f} -i ${n.bridge} ${c(`internal-${n.bridge}`)} -j DROP`, `-A ${f} -o ${n.bridge} ${c(`internal-${n.bridge}`)} -j DROP`);
      continue;
    }
    for (const other of new Set([`${userBridgePrefix}+`, defaultBridge])) {
      lines.push(`-A ${f} -i ${n.bridge} -o ${other} ${c(`isolate-${n.bridge}`)} -j DROP`, `-A ${f} -i ${other} -o ${n.bridge} ${c(`isolate-${n.bridge}`)} -j DROP`);
    }
  }
  lines.push(`-A ${i} -i lo ${c('dns-host')} -j RETURN`);
  for (const n of nets) lines.push(`-A ${i} -i ${n.bridge} -d ${n.gateway}/32 ${c(`dns-${n.bridge}`)} -j RETURN`);
  for (const n of nets) for (const p of ['udp', 'tcp']) lines.push(`-A ${i} -d ${n.gateway}/32 -p ${p} -m ${p} --dport 53 ${c(`dns-${n.bridge}`)} -j DROP`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

async function ipt(args: string[]): Promise<{ code: number; stderr: string }> {
  return runCommand('iptables', ['-w', '5', '-t', 'filter', ...args]);
}

const jump = (tag: string, parent: 'FORWARD' | 'INPUT', chain: string) => [parent, '-m', 'comment', '--comment', `llmos-${tag}-user-networks`, '-j', chain];

/** Makes the chains match `nets`; with none, removes the chains and their jumps. */
export async function applyIsolation(tag: string, defaultBridge: string, nets: readonly IsolatedNet[]): Promise<void> {
  const ch = isolationChains(tag);
  const parents = [['FORWARD', ch.forward], ['INPUT', ch.input]] as const;
  if (!nets.length) {
    // Nothing to remove (every boot without user networks): no step.
    if ((await ipt(['-S', ch.forward])).code !== 0 && (await ipt(['-S', ch.input])).code !== 0) return;
    faultPoint('network.user.rules-remove');
    for (const [p, c] of parents) {
      while ((await ipt(['-C', ...jump(tag, p, c)])).code === 0) await ipt(['-D', ...jump(tag, p, c)]);
      await ipt(['-F', c]);
      await ipt(['-X', c]);
    }
    return;
  }
  faultPoint('network.user.rules');
  const r = await runCommand('iptables-restore', ['-w', '5', '--noflush'], isolationScript(tag, defaultBridge, nets));
  if (r.code !== 0) throw new Internal(`iptables-restore of ${ch.forward}: ${r.stderr.trim()}`);
  for (const [p, c] of parents) {
    if ((await ipt(['-C', ...jump(tag, p, c)])).code === 0) continue;
    // First: nothing before it may accept the packet.
    const j = await ipt(['-I', p, '1', ...jump(tag, p, c).slice(1)]);
    if (j.code !== 0) throw new Internal(`iptables -I ${p} -j ${c}: ${j.stderr.trim()}`);
  }
}
