// The one leak checker for test teardowns: given a daemon's data dir, lists what of that daemon is
// still on the host. A daemon's host objects are found by its tag (daemonTag(dataDir)): CNI ids and
// netns names are `llmos-<tag>-<id>`, cgroups live under /llmos/<tag>/, and conmon's arguments
// name paths inside the data dir; function-host processes and their cgroups are named by a
// longer tag of the data dir (/llmos-functions/<tag>/<key>/). Read-only: it never removes anything.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { daemonTag } from '../../src/modules/network/cni-network.js';

export interface LeakOptions {
  /** host-local lease store (default /var/lib/cni/networks). */
  ipamDir?: string;
  /** Container ids whose resources are expected to remain (e.g. a container a test keeps running). */
  allow?: readonly string[];
}

const cgroupRoot = '/sys/fs/cgroup';
const netnsDir = '/var/run/netns';

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(cmd, args, { timeout: 15_000, maxBuffer: 64 * 2 ** 20 }, (err, stdout) => resolve(err ? '' : stdout)));
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** Cgroup directories of the daemon in every hierarchy (v1: each controller; v2: the unified one). */
async function cgroupDirs(tag: string): Promise<string[]> {
  const found: string[] = [];
  const v2 = (await readFile(path.join(cgroupRoot, 'cgroup.controllers'), 'utf8').catch(() => undefined)) !== undefined;
  const hierarchies = v2 ? [cgroupRoot] : (await list(cgroupRoot)).map((c) => path.join(cgroupRoot, c));
  const seen = new Set<string>();
  for (const h of hierarchies) {
    const d = path.join(h, 'llmos', tag);
    const real = await realpath(d).catch(() => undefined);
    if (!real || seen.has(real)) continue;
    seen.add(real);
    const children = (await readdir(d, { withFileTypes: true }).catch(() => [])).filter((c) => c.isDirectory());
    // The parent counts on its own only when empty; otherwise its children are the leaks.
    if (!children.length) found.push(d);
    for (const child of children) found.push(path.join(d, child.name));
  }
  return found;
}

/**
 * The tags of the daemon's function-host cgroups, /llmos-functions/<tag>/<host key>/
 * (functions/host/hosts.ts: sha256 of the data dir as the daemon was given it, 12 hex digits).
 */
function functionTags(dataDirIn: string): string[] {
  const t = (d: string) => createHash('sha256').update(d).digest('hex').slice(0, 12);
  return [...new Set([t(dataDirIn), t(path.resolve(dataDirIn))])];
}

/** The function-host cgroups left (any host cgroup after the daemon stopped is a leak), and the daemon's dir itself. */
async function functionCgroups(ftags: string[]): Promise<string[]> {
  const found: string[] = [];
  const v2 = (await readFile(path.join(cgroupRoot, 'cgroup.controllers'), 'utf8').catch(() => undefined)) !== undefined;
  const hierarchies = v2 ? [cgroupRoot] : ['memory', 'cpu', 'pids'].map((c) => path.join(cgroupRoot, c));
  for (const h of hierarchies) {
    for (const ftag of ftags) {
      const d = path.join(h, 'llmos-functions', ftag);
      const children = await readdir(d, { withFileTypes: true }).catch(() => undefined);
      if (!children) continue;
      const dirs = children.filter((c) => c.isDirectory());
      if (!dirs.length) found.push(d);
      for (const c of dirs) found.push(path.join(d, c.name));
    }
  }
  return found;
}

/**
 * Pids of processes whose command line names the data dir (conmon, a stuck runc), whose cgroup is
 * the daemon's, or that are its function hosts (argv names llmos-functions/<tag>/, or in a host cgroup).
 */
async function processes(dataDir: string, tag: string, ftags: string[] = functionTags(dataDir)): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await list('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const [cmdline, cgroup] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '')]);
    const args = cmdline.split('\0').filter(Boolean);
    // A zombie holds nothing but its pid, and init reaps it (conmon's children are reparented there when conmon dies).
    if (!args.length) continue;
    // The daemon itself (`llmos up --data-dir D`) is not a leak; only what it started.
    // (bin/llmos execs node on the bundled CLI, dist/src/cli-bundle/main.mjs).
    if (args.some((a) => a.endsWith('llmos') || a.endsWith('llmos.js') || a.endsWith('cli-bundle/main.mjs')) && args.includes('up')) continue;
    const inCgroup = cgroup.includes(`/llmos/${tag}/`) || ftags.some((f) => cgroup.includes(`/llmos-functions/${f}/`));
    const namesDir = args.some((a) => a === dataDir || a.startsWith(dataDir + '/') || a.includes('=' + dataDir + '/'));
    const fnHost = args.some((a) => ftags.some((f) => a.startsWith(`llmos-functions/${f}/`)));
    if (inCgroup || namesDir || fnHost) out.push(`process ${pid} (${args.join(' ').slice(0, 160) || 'zombie'})${inCgroup ? ' in a daemon cgroup' : fnHost ? ' (a function host)' : ''}`);
  }
  return out;
}

/** Everything of the daemon with this data dir still on the host, one line each; empty when clean. */
export async function listLeaks(dataDirIn: string, opts: LeakOptions = {}): Promise<string[]> {
  const dataDir = path.resolve(dataDirIn);
  const tag = daemonTag(dataDir);
  const prefix = `llmos-${tag}-`;
  const allowed = (s: string) => (opts.allow ?? []).some((id) => s.includes(id));
  const leaks: string[] = [];

  const ours = (await list(netnsDir)).filter((n) => n.startsWith(prefix));
  // The netns pool (network/netns-pool.ts): a claimed entry is named after its container (the
  // symlink from the container's netns name); a free one is no leak while the daemon holding it lives.
  const pool = await poolEntries(dataDir);
  const owner = new Map<string, string>();
  for (const n of ours) {
    const t = await readlink(path.join(netnsDir, n)).catch(() => undefined);
    if (t) owner.set(path.basename(t), n);
  }
  const named = (s: string) => s.replace(new RegExp(`${prefix}pool-[0-9a-f]+`, 'g'), (m) => (owner.has(m) ? `${m} (claimed by ${owner.get(m)})` : m));
  for (const n of ours) leaks.push(`netns ${n}`);

  // Host-side veths whose peer is in one of our namespaces.
  if (ours.length) {
    const ids = new Map<number, string>();
    try {
      for (const e of JSON.parse((await run('ip', ['-j', 'netns', 'list-id'])) || '[]') as Array<{ nsid: number; name?: string }>) if (e.name) ids.set(e.nsid, e.name);
      for (const l of JSON.parse((await run('ip', ['-j', 'link', 'show', 'type', 'veth'])) || '[]') as Array<{ ifname: string; link_netnsid?: number }>) {
        const ns = l.link_netnsid !== undefined ? ids.get(l.link_netnsid) : undefined;
        if (ns?.startsWith(prefix)) leaks.push(`veth ${l.ifname} (peer in ${ns})`);
      }
    } catch {
      /* unreadable ip output: the netns lines already report the leak */
    }
  }

  const ipamDir = opts.ipamDir ?? '/var/lib/cni/networks';
  for (const net of await list(ipamDir)) {
    for (const f of await list(path.join(ipamDir, net))) {
      if (!/^[\d.:a-f]+$/.test(f) || !f.includes('.')) continue;
      const text = await readFile(path.join(ipamDir, net, f), 'utf8').catch(() => '');
      if (text.split(/\r?\n/)[0]?.startsWith(prefix)) leaks.push(`IP lease ${net}/${f} (${text.split(/\r?\n/)[0]})`);
    }
  }

  for (const table of ['nat', 'filter', 'mangle']) for (const r of (await run('iptables', ['-w', '5', '-t', table, '-S'])).split('\n')) if (r.includes(prefix)) leaks.push(`iptables ${table}: ${r}`);
  for (const r of (await run('nft', ['list', 'ruleset'])).split('\n')) if (r.includes(prefix)) leaks.push(`nft: ${r.trim()}`);

  // DNS records (network/dns.ts): one hosts file per daemon and bridge; records left for nothing are leaks.
  for (const bridge of await list('/run/llmos/dns')) {
    const text = await readFile(path.join('/run/llmos/dns', bridge, 'hosts.d', tag), 'utf8').catch(() => '');
    for (const l of text.split('\n').filter((x) => x.trim())) leaks.push(`DNS record on ${bridge}: ${l}`);
  }

  for (const d of await cgroupDirs(tag)) leaks.push(`cgroup ${d}`);
  for (const d of await functionCgroups(functionTags(dataDirIn))) leaks.push(`function-host cgroup ${d}`);

  for (const line of (await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')).split('\n')) {
    const mp = line.split(' ')[4]?.replace(/\\040/g, ' ');
    if (mp && (mp === dataDir || mp.startsWith(dataDir + '/'))) leaks.push(`mount ${mp}`);
  }

  leaks.push(...(await clusterRouteLeaks(dataDir)));
  leaks.push(...(await processes(dataDir, tag, functionTags(dataDirIn))));
  leaks.push(...(await listUserNetworkLeaks(dataDir)));
  return leaks.map(named).filter((l) => !allowed(l) && !pool.some((id) => l.includes(id) && !l.includes('(claimed by')));
}

/** The free pool entries a live daemon of this data dir lists (<data-dir>/modules/<network>/netns-pool.json). */
export async function poolEntries(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of await list(path.join(dataDir, 'modules'))) {
    const text = await readFile(path.join(dataDir, 'modules', m, 'netns-pool.json'), 'utf8').catch(() => '');
    if (!text) continue;
    const st = JSON.parse(text) as { pid?: number; entries?: string[] };
    const alive = (await readFile(`/proc/${st.pid}/cmdline`, 'utf8').catch(() => '')).includes('up');
    if (alive) out.push(...(st.entries ?? []));
  }
  return out;
}

/** Throws, naming every leftover, when the daemon with this data dir left anything on the host. */
export async function assertNoLeaks(dataDir: string, opts: LeakOptions = {}): Promise<void> {
  const leaks = await listLeaks(dataDir, opts);
  if (leaks.length) throw new Error(`${leaks.length} leftover(s) of the daemon with data dir ${dataDir}:\n  ${leaks.join('\n  ')}`);
}

/** assertNoLeaks, after waiting (bounded) for removals still under way, e.g. replicas of a removed service. */
export async function untilNoLeaks(dataDir: string, opts: LeakOptions = {}, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await listLeaks(dataDir, opts)).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
  await assertNoLeaks(dataDir, opts);
}

/**
 * User networks (network/user-networks.ts) of the daemon: its subnet claims, their bridges, DNS
 * directories and hosts files, and every dnsmasq serving one of them. (The default bridge's DNS
 * is shared by the daemons on the host; its records of this daemon are checked above.)
 */
export async function listUserNetworkLeaks(dataDirIn: string): Promise<string[]> {
  const tag = daemonTag(path.resolve(dataDirIn));
  const out: string[] = [];
  const claimsDir = '/run/llmos/user-networks';
  const dirs = new Set<string>();
  const links = await list('/sys/class/net');
  const claimed = new Set<string>();
  for (const f of await list(claimsDir)) {
    const c = JSON.parse((await readFile(path.join(claimsDir, f), 'utf8').catch(() => '')) || '{}') as { tag?: string; bridge?: string; subnet?: string };
    if (c.bridge) claimed.add(path.join('/run/llmos/dns', c.bridge));
    if (c.tag !== tag || !c.bridge) continue;
    out.push(`user network claim ${c.subnet} (${c.bridge})`);
    if (links.includes(c.bridge)) out.push(`bridge ${c.bridge}`);
    dirs.add(path.join('/run/llmos/dns', c.bridge));
  }
  for (const dir of dirs) if ((await list(path.join(dir, 'hosts.d'))).includes(tag)) out.push(`DNS hosts file ${dir}/hosts.d/${tag}`);
  for (const pid of await list('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (!args[0]?.endsWith('dnsmasq')) continue;
    const dir = args.find((a) => a.startsWith('--hostsdir='))?.slice('--hostsdir='.length).replace(/\/hosts\.d$/, '');
    if (dir && dirs.has(dir)) out.push(`dnsmasq ${pid} (${dir})`);
    // A user network's dnsmasq starts after its claim and stops before the claim goes: without one it is an orphan.
    else if (dir?.startsWith('/run/llmos/dns/llmosu') && !claimed.has(dir)) out.push(`dnsmasq ${pid} of no user network (${dir})`);
  }
  return out;
}

/**
 * Cluster pod routes (network/cluster-routes.ts) the daemon installed and that are still there: it
 * lists them in its network module's cluster-routes.json before adding them (the chain and the nft
 * table of ports on every node carry the daemon's tag and are found above).
 */
async function clusterRouteLeaks(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of await list(path.join(dataDir, 'modules'))) {
    const text = await readFile(path.join(dataDir, 'modules', m, 'cluster-routes.json'), 'utf8').catch(() => '');
    if (!text) continue;
    const routes = ((JSON.parse(text) as { routes?: Array<{ subnet: string; via: string }> }).routes ?? []);
    const shown = (await run('ip', ['-4', 'route', 'show', 'proto', '76'])).split('\n');
    for (const r of routes) if (shown.some((l) => l.startsWith(`${r.subnet} via ${r.via} `))) out.push(`cluster route ${r.subnet} via ${r.via}`);
  }
  return out;
}
