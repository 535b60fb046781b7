// iptables housekeeping around CNI: finding what a container left in the nat table, and removing
// the shared CNI-HOSTPORT-* chains portmap never deletes, once no port mapping uses them.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/** The lock between portmap runs (shared) and the removal of the chains they share (exclusive). */
const HOSTPORT_LOCK = '/run/llmos/cni-hostport.lock';

/** `flock` arguments running `cmd` under the hostport lock (util-linux's flock: Node has no flock). */
export function hostportLockArgs(mode: '-s' | '-x', cmd: string, ...args: string[]): string[] {
  mkdirSync('/run/llmos', { recursive: true, mode: 0o755 });
  return [mode, '-w', '30', HOSTPORT_LOCK, cmd, ...args];
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(cmd, args, { timeout: 15_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    if (input !== undefined) p.stdin?.end(input);
  });
}

/**
 * `iptables-save` as `iptables -t TABLE -S` would print each table (-P/-N for chains, -A rules
 * as they are): one process for what would take one per table.
 */
export function parseSave(text: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) tables.set(line.slice(1).trim(), (cur = []));
    else if (!cur || line === 'COMMIT' || line.startsWith('#') || !line) continue;
    else if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(' ');
      cur.push(policy === '-' ? `-N ${chain}` : `-P ${chain} ${policy}`);
    } else cur.push(line);
  }
  return tables;
}

/** Every table, from one `iptables-save`; undefined when it fails (callers then read per table). */
export async function saveTables(): Promise<Map<string, string[]> | undefined> {
  const r = await run('iptables-save', []);
  return r.code === 0 ? parseSave(r.stdout) : undefined;
}

export async function natRules(): Promise<string[]> {
  const r = await run('iptables', ['-w', '5', '-t', 'nat', '-S']);
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** CNI container ids named in rule comments (bridge's ipMasq and portmap both write `id: "..."`). */
export function idsInRules(rules: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (const r of rules) for (const m of r.matchAll(/id: \\?"([A-Za-z0-9_.-]+)\\?"/g)) ids.add(m[1]!);
  return ids;
}

/**
 * The iptables-restore script that removes the CNI-HOSTPORT-* chains and the jumps to them, or
 * undefined when a port mapping still uses them. CNI-HOSTPORT-DNAT is deleted without a flush,
 * so if another process adds a mapping meanwhile the whole (atomic) restore fails harmlessly.
 */
export function hostportCleanupScript(rules: readonly string[]): string | undefined {
  const chains = rules.filter((r) => /^-N CNI-HOSTPORT-/.test(r)).map((r) => r.split(' ')[1]!);
  if (chains.length === 0) return undefined;
  if (rules.some((r) => r.startsWith('-A CNI-HOSTPORT-DNAT '))) return undefined;
  const lines = ['*nat'];
  for (const r of rules) {
    const m = /^-A (\S+) (.*-j (CNI-HOSTPORT-\S+).*)$/.exec(r);
    if (m && !m[1]!.startsWith('CNI-HOSTPORT-')) lines.push(`-D ${m[1]} ${m[2]}`);
  }
  for (const c of chains) if (c !== 'CNI-HOSTPORT-DNAT') lines.push(`-F ${c}`);
  for (const c of chains) lines.push(`-X ${c}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** Removes the shared hostport chains when nothing uses them; returns the chains removed. */
export async function removeUnusedHostportChains(): Promise<string[]> {
  const rules = await natRules();
  const script = hostportCleanupScript(rules);
  if (!script) return [];
  const ok = await restore(script);
  return ok ? rules.filter((r) => /^-N CNI-HOSTPORT-/.test(r)).map((r) => r.split(' ')[1]!) : [];
}

/** The iptables-restore script deleting every nat rule whose comment names `cniId`, and the per-container chains they jump to. */
export function purgeScript(rules: readonly string[], cniId: string): string | undefined {
  const mine = rules.filter((r) => r.startsWith('-A ') && r.includes(`id: \\"${cniId}\\"`));
  if (!mine.length) return undefined;
  const chains = new Set<string>();
  for (const r of mine) {
    const m = / -j (CNI-(?:DN-)?[0-9a-f]+)\b/.exec(r);
    if (m) chains.add(m[1]!);
  }
  const lines = ['*nat', ...mine.map((r) => `-D ${r.slice(3)}`)];
  for (const c of chains) if (rules.includes(`-N ${c}`)) lines.push(`-F ${c}`, `-X ${c}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

async function restore(script: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const p = spawn('flock', hostportLockArgs('-x', 'iptables-restore', '-w', '5', '--noflush'), { stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
    p.stdin.end(script);
  });
}

/** Removes what CNI DEL left of a container in the nat table (portmap needs the original mappings to find its rules). */
export async function purgeRulesFor(cniId: string): Promise<boolean> {
  const script = purgeScript(await natRules(), cniId);
  return script ? restore(script) : false;
}

export { run as runCommand };
