// The kernel data path of services, as kube-proxy's nftables mode does it: one nftables table per
// daemon (`ip llmos-TAG-svc`), rebuilt whole in one `nft -f` transaction whenever endpoints change.
// A packet to a ClusterIP:port (or a host port on a local address) jumps to its service chain,
// which picks an endpoint chain with `numgen random mod N` (or `jhash ip saddr` for ClientIP
// affinity) and DNATs there; every rule counts. Service traffic is masqueraded on the way out, so
// replies from an endpoint on the same bridge come back through the host's conntrack. The
// daemon is never in the packet path; existing connections survive a rebuild (conntrack keeps them).
import { spawn } from 'node:child_process';
import type { RuleCounter, VirtualService } from '../../contracts/network.js';
import { Internal } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { runCommand } from './iptables.js';

/** Named like the daemon's other host objects (llmos-TAG-...), so the leak checker finds it. */
export const svcTable = (tag: string): string => `llmos-${tag}-svc`;
/** The mark service chains set so postrouting masquerades (kube-proxy's 0x4000). */
const MASQ = '0x00004000';

export interface ProgrammedService extends VirtualService {
  clusterIp?: string;
}

const q = (s: string): string => `"${s.replace(/["\\]/g, '')}"`;

/** Chain name of a service port; names are DNS labels (checked by the manifest), so no quoting issue. */
const svcChain = (s: ProgrammedService, port: number) => `svc-${s.namespace}-${s.name}-${port}`;

/** The nft script that replaces the table with these services (pure; tested). Empty list: delete it. */
export function tableScript(tag: string, services: readonly ProgrammedService[]): string {
  const t = svcTable(tag);
  // `table X` then `delete table X` makes the delete succeed whether or not it exists; all in one transaction.
  const lines = [`table ip ${t}`, `delete table ip ${t}`];
  if (!services.length) return lines.join('\n') + '\n';
  const dispatch: string[] = [];
  const chains: string[] = [];
  for (const s of [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))) {
    const key = `${s.namespace}/${s.name}`;
    for (const p of s.ports) {
      const c = svcChain(s, p.port);
      if (s.clusterIp) dispatch.push(`    ip daddr ${s.clusterIp} tcp dport ${p.port} counter jump ${c} comment ${q(`svc ${key} ${s.clusterIp}:${p.port}`)}`);
      if (p.hostPort) dispatch.push(`    fib daddr type local tcp dport ${p.hostPort} counter jump ${c} comment ${q(`svc ${key} hostport ${p.hostPort}`)}`);
      const body = [`    meta mark set meta mark | ${MASQ}`];
      const eps = [...s.endpoints].sort();
      if (!eps.length) body.push(`    counter drop comment ${q(`svc ${key} ${p.port} no endpoints`)}`);
      else {
        const pick = s.sessionAffinity === 'ClientIP' ? `jhash ip saddr mod ${eps.length}` : `numgen random mod ${eps.length}`;
        body.push(`    ${pick} vmap { ${eps.map((_, i) => `${i} : jump ${c}-ep${i}`).join(', ')} }`);
        eps.forEach((ip, i) => chains.push(`  chain ${c}-ep${i} {\n    meta l4proto tcp counter dnat to ${ip}:${p.targetPort} comment ${q(`ep ${key} ${p.port} ${ip}:${p.targetPort}`)}\n  }`));
      }
      chains.push(`  chain ${c} {\n${body.join('\n')}\n  }`);
    }
  }
  lines.push(
    `table ip ${t} {`,
    `  chain services {\n${dispatch.join('\n')}\n  }`,
    ...chains,
    // Before iptables' nat chains (CNI portmap at dstnat): a service port is ours.
    '  chain prerouting {\n    type nat hook prerouting priority -105; policy accept;\n    jump services\n  }',
    '  chain output {\n    type nat hook output priority -105; policy accept;\n    jump services\n  }',
    `  chain postrouting {\n    type nat hook postrouting priority 95; policy accept;\n    meta mark & ${MASQ} == ${MASQ} counter masquerade comment "llmos service masquerade"\n  }`,
    '}',
  );
  return lines.join('\n') + '\n';
}

function nft(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('nft', args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', (e) => resolve({ code: 127, stdout, stderr: e.message }));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (input !== undefined) {
      // nft may exit (on a syntax error) before reading all of it: the close handler reports that.
      p.stdin!.on('error', () => undefined);
      p.stdin!.end(input);
    }
  });
}

/** Replaces the table atomically (a failed script changes nothing). */
export async function applyTable(tag: string, services: readonly ProgrammedService[]): Promise<void> {
  faultPoint(services.length ? 'network.services.rules' : 'network.services.rules-remove');
  const r = await nft(['-f', '-'], tableScript(tag, services));
  if (r.code !== 0) throw new Internal(`nft: ${r.stderr.trim().split('\n').slice(0, 3).join(' ')}`);
}

export async function tableExists(tag: string): Promise<boolean> {
  return (await nft(['list', 'table', 'ip', svcTable(tag)])).code === 0;
}

export async function deleteTable(tag: string): Promise<void> {
  if (await tableExists(tag)) await applyTable(tag, []);
}

interface NftRule {
  rule?: { chain: string; comment?: string; expr?: Array<Record<string, unknown>> };
}

/** Counters of the rules whose comment names the service (`svc NS/NAME ...`, `ep NS/NAME ...`). */
export async function ruleCounters(tag: string, key: string): Promise<RuleCounter[]> {
  const r = await nft(['-j', 'list', 'table', 'ip', svcTable(tag)]);
  if (r.code !== 0) return [];
  return parseCounters(r.stdout, key);
}

export function parseCounters(json: string, key: string): RuleCounter[] {
  let doc: { nftables?: NftRule[] };
  try {
    doc = JSON.parse(json) as { nftables?: NftRule[] };
  } catch {
    return [];
  }
  const out: RuleCounter[] = [];
  for (const e of doc.nftables ?? []) {
    const c = e.rule?.comment;
    if (!c) continue;
    const m = /^(svc|ep) (\S+) (.*)$/.exec(c);
    if (!m || m[2] !== key) continue;
    const counter = e.rule!.expr?.find((x) => 'counter' in x)?.counter as { packets?: number; bytes?: number } | undefined;
    out.push({ rule: m[1] === 'ep' ? `endpoint ${m[3]}` : m[3]!, packets: counter?.packets ?? 0, bytes: counter?.bytes ?? 0 });
  }
  return out;
}

/** Packets to a local address from outside the host, DNATed to the bridge, need forwarding; localhost ones need route_localnet. */
export async function enableLocalnet(bridge: string): Promise<void> {
  const r = await runCommand('sysctl', ['-q', '-w', `net.ipv4.conf.${bridge}.route_localnet=1`]);
  if (r.code !== 0 && !/No such file/.test(r.stderr)) throw new Internal(`sysctl route_localnet on ${bridge}: ${r.stderr.trim()}`);
}
