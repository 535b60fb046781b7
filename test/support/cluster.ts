// Cluster test rigs, all real processes:
// - startServer/startAgent/joinOnce: a server daemon serving TLS off loopback and agent daemons
//   (`llmos up --join`) on the same host;
// - startNetnsCluster: N "machines" as network namespaces on one "physical" bridge (10.200.X.0/24),
//   each with its own data dir, CNI bridge, pod subnet and cgroup parent (by data dir), running
//   `llmos up --join` inside its netns, a 3-member etcd in three more netns, and the server in the
//   root netns on the bridge's address with `--store etcd://...`. stop() tears it all down;
//   leftovers() lists what of it is still on the host.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { llmosBin, runCli, startDaemon, type CliResult, type TestDaemon } from './daemon.js';
import { listLeaks } from './leaks.js';
import { until } from './until.js';

const exec = promisify(execFile);
const sh = async (cmd: string, ...args: string[]): Promise<string> => (await exec(cmd, args, { timeout: 30_000 })).stdout;
const quiet = (cmd: string, ...args: string[]): Promise<void> => sh(cmd, ...args).then(() => undefined, () => undefined);

/** Writes <dataDir>/config.json (module settings) before the daemon's first boot. */
export async function withConfig(config: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-cl-'));
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** Short lease timings, so tests see NotReady in seconds (the defaults are 10 s and 40 s). */
export const fastLeases = { cluster: { leaseIntervalMs: 300, leaseGraceMs: 1500 } };

/**
 * The netns clusters' leases unless a test asks for others: 1 s renewals, NotReady after 10 s. A
 * 1.5 s grace was missed in CI by nodes that were fine, on a loaded machine running two 3-member
 * etcds, and failed tests about other things ("0/2 nodes are available: 2 not ready"). Tests of
 * failure detection pass fastLeases (node-failure) or their own timings (partition).
 */
export const netnsLeases = { cluster: { leaseIntervalMs: 1000, leaseGraceMs: 10_000 } };

/** A server daemon listening on 0.0.0.0 (so: TLS with its cluster CA), reached on 127.0.0.1. */
export async function startServer(opts: { args?: string[]; modules?: Record<string, unknown> } = {}): Promise<TestDaemon & { url: string }> {
  const dataDir = await withConfig({ modules: { ...fastLeases, ...opts.modules } });
  const d = await startDaemon({ dataDir, args: ['--listen', '0.0.0.0:0', ...(opts.args ?? [])] });
  const port = new URL(d.host).port;
  const url = `https://127.0.0.1:${port}`;
  const stop = d.stop.bind(d);
  return Object.assign(d, {
    url,
    host: url,
    cli: (args: string[], o: { env?: Record<string, string>; timeoutMs?: number } = {}) => runCli(args, { ...o, env: { ...process.env, LLMOS_HOST: url, LLMOS_DATA_DIR: dataDir, ...o.env } as Record<string, string> }),
    async stop() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}

/** Creates a join token on the server (`llmos token create`); the token is the last line. */
export async function createToken(server: TestDaemon, ttl?: string): Promise<string> {
  const r = await server.cli(['token', 'create', ...(ttl ? ['--ttl', ttl] : [])]);
  if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').at(-1)!;
}

const agentArgs = (dataDir: string, url: string, token: string, name: string, extra: string[] = []) =>
  ['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0', '--join', url, '--token', token, '--node-name', name, ...extra];

/** An agent daemon that joined (resolves once it prints the join); throws with its output if refused. */
export async function startAgent(url: string, token: string, name: string, opts: { dataDir?: string; extra?: string[] } = {}): Promise<TestDaemon> {
  // Without a data dir, the daemon harness makes one (and removes it when the agent stops for good).
  const d = await startDaemon({ dataDir: opts.dataDir, args: agentArgs('', url, token, name, opts.extra).slice(3) });
  if (!/joined https:\/\/\S+ as node /.test(d.output())) throw new Error(`agent did not report its join:\n${d.output()}`);
  return d;
}

/** `llmos up --join` expected to be refused: its exit code and output (killed after timeoutMs if it did join). */
export function joinOnce(url: string, token: string, name: string, dataDir: string, timeoutMs = 30_000): Promise<CliResult> {
  return runCli(agentArgs(dataDir, url, token, name), { timeoutMs, env: { ...process.env, LLMOS_LOG_LEVEL: 'warn' } as Record<string, string> });
}

export interface NodeJson {
  name: string;
  status: 'Ready' | 'NotReady';
  unschedulable: boolean;
  roles: string[];
  labels: Record<string, string>;
  taints: unknown[];
  allocatable: { cpu: number; memory: number };
  allocated: { cpu: number; memory: number };
  capacity: { cpu: number; memory: number };
  lastHeartbeat: string | null;
  runtimes: string[];
}

export async function nodesJson(server: TestDaemon): Promise<NodeJson[]> {
  const r = await server.cli(['nodes', '--json']);
  if (r.code !== 0) throw new Error(`llmos nodes failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as NodeJson[];
}

/** What a failed cluster test prints: each node's status and heartbeat as the server sees it, and the logs' tails. */
export async function clusterReport(c: NetnsCluster): Promise<string> {
  const nodes = await nodesJson(c.server).then((ns) => ns.map((n) => `${n.name} ${n.status} last heartbeat ${n.lastHeartbeat}`).join('\n'), (e: Error) => e.message);
  const logs = c.nodes.map((n) => `--- ${n.name} (exit ${n.proc?.exitCode ?? 'running'}):\n${n.output().slice(-2500)}`);
  return `nodes at ${new Date().toISOString()}:\n${nodes}\n--- server:\n${c.server.output().slice(-4000)}\n${logs.join('\n')}`;
}

// ---- N machines as network namespaces ---------------------------------------------------------

function podSubnetOf(opts: NetnsClusterOptions, i: number, subnet: number): { subnet?: string } {
  const s = opts.podSubnet ? opts.podSubnet(i, subnet) : `10.89.${i}.0/24`;
  return s ? { subnet: s } : {};
}

/** `llmos ARGS` inside a node's netns against that node's own local API (127.0.0.1:7070, its data dir's token). */
export function nodeCli(n: NetnsHost, args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', n.netns, llmosBin, ...args], { env: { ...process.env, LLMOS_HOST: 'http://127.0.0.1:7070', LLMOS_DATA_DIR: n.dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Runs a command inside a netns (e.g. `ip route`), its stdout. */
export const inNetns = (netns: string, cmd: string, ...args: string[]): Promise<string> => sh('ip', 'netns', 'exec', netns, cmd, ...args);

export interface NetnsHost {
  name: string;
  netns: string;
  ip: string;
  dataDir: string;
  proc?: ChildProcess;
  output(): string;
  /** The agent's command line and environment (restartNode starts it again with them). */
  argv?: string[];
  env?: Record<string, string>;
}

export interface NetnsCluster {
  id: string;
  bridge: string;
  server: TestDaemon & { url: string };
  etcd: NetnsHost[];
  nodes: NetnsHost[];
  stop(): Promise<void>;
  /** What of the cluster is still on the host (netns, links, processes, data dirs' leaks). */
  leftovers(): Promise<string[]>;
}

function spawnIn(netns: string, cmd: string, args: string[], env: Record<string, string> = {}): { proc: ChildProcess; output: () => string } {
  // nsenter --net, not `ip netns exec`: that one mounts a fresh /sys, without the cgroup hierarchy
  // the node's containers runtime needs (it then skips, and the node can run nothing).
  const proc = spawn('nsenter', [`--net=/var/run/netns/${netns}`, '--', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

async function stopProc(p: ChildProcess | undefined, ms = 15_000): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), ms);
  await gone;
  clearTimeout(t);
}

/**
 * Creates the bridge of a cluster's "physical" network 10.200.<subnet>.0/24. Its name carries the
 * subnet, so two clusters started at once (the runner runs two files in parallel) never share one:
 * `ip link add` of a taken name fails and another subnet is tried. (Two bridges with one address
 * route each other's replies away: in CI a server reached the other cluster's etcd and its nodes
 * timed out.)
 */
async function claimBridge(): Promise<{ bridge: string; subnet: number }> {
  for (let tries = 0; tries < 50; tries++) {
    const subnet = 1 + randomInt(250);
    const bridge = `lcbr-${subnet}`;
    if ((await sh('ip', '-4', '-o', 'addr', 'show', 'to', `10.200.${subnet}.0/24`)).trim()) continue;
    if (await sh('ip', 'link', 'add', bridge, 'type', 'bridge').then(() => true, () => false)) return { bridge, subnet };
  }
  throw new Error('no free 10.200.X.0/24 for a test cluster after 50 tries');
}

/** A netns "machine" plugged into the bridge with a veth pair, at 10.200.<subnet>.<octet>/24. */
async function plugHost(id: string, bridge: string, subnet: number, octet: number, label: string): Promise<{ netns: string; ip: string }> {
  const netns = `llmc-${id}-${label}`;
  const host = `lc${id}${label}`; // <= 15 characters: the root-side end of the veth
  const ip = `10.200.${subnet}.${octet}`;
  await sh('ip', 'netns', 'add', netns);
  await sh('ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
  await sh('ip', 'link', 'set', host, 'master', bridge, 'up');
  await sh('ip', '-n', netns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
  await sh('ip', '-n', netns, 'link', 'set', 'eth0', 'up');
  await sh('ip', '-n', netns, 'link', 'set', 'lo', 'up');
  return { netns, ip };
}

export interface NetnsClusterOptions {
  nodeLabels?: (i: number) => string[];
  /** Node i's modules.network.subnet (default 10.89.i.0/24); undefined: not set, the server allocates one. */
  podSubnet?: (i: number, subnet: number) => string | undefined;
  /** The server's network on a bridge of its own (lc<id>s) with this subnet (default: the host's shared llmos0). */
  serverPodSubnet?: (subnet: number) => string;
  /** Runs once the bridge is up, before the nodes start (e.g. a registry on the bridge's address). */
  beforeNodes?: (bridgeIp: string) => Promise<void>;
  /** Module settings merged into node i's config.json (e.g. images.insecureRegistries). */
  nodeModules?: (i: number) => Record<string, unknown>;
  /** Extra `llmos up` flags of the server (e.g. --node-grace 3s --eviction-timeout 8s). */
  serverArgs?: string[];
  /** Each node's function gateway address (default 127.0.0.1:8080, the node's loopback only). */
  nodeGateway?: string;
  /** Module settings merged into the server's config.json after netnsLeases (e.g. fastLeases). */
  serverModules?: Record<string, unknown>;
}

export async function startNetnsCluster(count: number, opts: NetnsClusterOptions = {}): Promise<NetnsCluster> {
  const id = randomBytes(2).toString('hex');
  const root = await mkdtemp(path.join(os.tmpdir(), `llmos-netns-${id}-`));
  const etcd: NetnsHost[] = [];
  const nodes: NetnsHost[] = [];
  let server: (TestDaemon & { url: string }) | undefined;
  const stop = async () => {
    // Workloads first, through the server (it reaches every node's containers): services, then containers.
    if (server) {
      const ls = await server.cli(['service', 'ls', '--json']).catch(() => undefined);
      for (const s of (ls?.code === 0 ? (JSON.parse(ls.stdout) as Array<{ name: string; namespace: string }>) : [])) await server.cli(['service', 'rm', s.name, '-n', s.namespace]).catch(() => undefined);
      await server.removeContainers().catch(() => undefined);
    }
    await Promise.all(nodes.map((n) => stopProc(n.proc)));
    await server?.stop().catch(() => undefined);
    await Promise.all(etcd.map((e) => stopProc(e.proc, 5000)));
    for (const h of [...nodes, ...etcd]) await quiet('ip', 'netns', 'del', h.netns);
    // A deleted netns lives on while a process of it is still exiting, and its veth pair with it:
    // the root-side ends are deleted here (the pair goes with them) rather than left to that exit.
    const ends = (await sh('ip', '-o', 'link', 'show').catch(() => '')).split('\n').map((l) => l.split(':')[1]?.trim().replace(/@.*$/, '') ?? '').filter((n) => n.startsWith(`lc${id}`));
    for (const end of ends) await quiet('ip', 'link', 'del', end);
    await quiet('ip', 'link', 'del', bridge);
    if (opts.serverPodSubnet) await quiet('ip', 'link', 'del', `lc${id}s`);
    await rm(root, { recursive: true, force: true });
  };
  const { bridge, subnet } = await claimBridge();
  try {
    await sh('ip', 'addr', 'add', `10.200.${subnet}.1/24`, 'dev', bridge);
    await sh('ip', 'link', 'set', bridge, 'up');
    // A 3-member etcd, one member per netns.
    const members = [1, 2, 3].map((i) => ({ i, name: `e${i}`, ip: `10.200.${subnet}.${10 + i}` }));
    const initial = members.map((m) => `${m.name}=http://${m.ip}:2380`).join(',');
    for (const m of members) {
      const { netns, ip } = await plugHost(id, bridge, subnet, 10 + m.i, m.name);
      const dataDir = path.join(root, m.name);
      const p = spawnIn(netns, 'etcd', ['--name', m.name, '--data-dir', dataDir, '--listen-client-urls', `http://${ip}:2379`, '--advertise-client-urls', `http://${ip}:2379`,
        '--listen-peer-urls', `http://${ip}:2380`, '--initial-advertise-peer-urls', `http://${ip}:2380`, '--initial-cluster', initial, '--initial-cluster-state', 'new',
        '--initial-cluster-token', `llmc-${id}`, '--logger=zap', '--log-level=error']);
      etcd.push({ name: m.name, netns, ip, dataDir, proc: p.proc, output: p.output });
    }
    await until('etcd cluster healthy', async () => {
      const ok = await Promise.all(members.map((m) => fetch(`http://${m.ip}:2379/health`, { signal: AbortSignal.timeout(1000) }).then(async (r) => ((await r.json()) as { health?: string }).health === 'true', () => false)));
      return ok.every(Boolean);
    }, 30_000, 200);
    // The server: root netns, on the bridge's address (not loopback: TLS), control plane on etcd.
    const serverDir = path.join(root, 'server');
    await mkdir(serverDir, { mode: 0o700 });
    const serverNet = opts.serverPodSubnet ? { network: { bridge: `lc${id}s`, subnet: opts.serverPodSubnet(subnet), name: `llmc-${id}-s` } } : {};
    await writeFile(path.join(serverDir, 'config.json'), JSON.stringify({ modules: { ...netnsLeases, ...serverNet, ...opts.serverModules } }));
    const d = await startDaemon({ dataDir: serverDir, args: ['--listen', `10.200.${subnet}.1:0`, '--store', `etcd://${members.map((m) => `${m.ip}:2379`).join(',')}`, ...(opts.serverArgs ?? [])] });
    const url = d.host.replace(/^http:/, 'https:');
    server = Object.assign(d, {
      url,
      host: url,
      cli: (args: string[], o: { env?: Record<string, string>; timeoutMs?: number } = {}) => runCli(args, { ...o, env: { ...process.env, LLMOS_HOST: url, LLMOS_DATA_DIR: serverDir, ...o.env } as Record<string, string> }),
    });
    const token = await createToken(server);
    await opts.beforeNodes?.(`10.200.${subnet}.1`);
    for (let i = 1; i <= count; i++) {
      const name = `h${i}`;
      const { netns, ip } = await plugHost(id, bridge, subnet, 100 + i, name);
      const dataDir = path.join(root, name);
      await mkdir(dataDir, { mode: 0o700 });
      // Its own CNI bridge, pod subnet, IPAM and DNS dirs (cgroups and runc state follow the data dir).
      await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { network: { bridge: `lc${id}n${i}`, ...podSubnetOf(opts, i, subnet), name: `llmc-${id}-${i}`, ipamDir: path.join(dataDir, 'ipam'), dnsDir: path.join(dataDir, 'dns') }, ...opts.nodeModules?.(i) } }));
      const argv = ['up', '--data-dir', dataDir, '--listen', '127.0.0.1:7070', '--gateway', opts.nodeGateway ?? '127.0.0.1:8080', '--join', url, '--token', token, '--node-name', name, ...(opts.nodeLabels?.(i) ?? []).flatMap((l) => ['--node-label', l])];
      const env = { LLMOS_LOG_LEVEL: 'warn' };
      const p = spawnIn(netns, llmosBin, argv, env);
      nodes.push({ name, netns, ip, dataDir, proc: p.proc, output: p.output, argv, env });
    }
    for (const n of nodes) {
      await until(`node ${n.name} joined`, async () => {
        if (n.proc!.exitCode !== null) throw new Error(`agent ${n.name} exited with ${n.proc!.exitCode}:\n${n.output()}`);
        return /joined https:\/\/\S+ as node /.test(n.output());
      }, 60_000, 100);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    id,
    bridge,
    server,
    etcd,
    nodes,
    stop,
    async leftovers() {
      const left: string[] = [];
      const netns = (await sh('ip', 'netns', 'list').catch(() => '')).split('\n').filter((l) => l.startsWith(`llmc-${id}-`));
      left.push(...netns.map((n) => `netns ${n}`));
      const links = (await sh('ip', '-o', 'link', 'show').catch(() => '')).split('\n').filter((l) => l.split(':')[1]?.trim() === bridge || l.includes(`lc${id}`));
      left.push(...links.map((l) => `link ${l.split(':')[1]?.trim()}`));
      const procs = (await sh('ps', '-eo', 'pid,args').catch(() => '')).split('\n').filter((l) => l.includes(root) && !l.includes('ps -eo'));
      left.push(...procs.map((p) => `process ${p.trim()}`));
      for (const h of [...nodes, { dataDir: path.join(root, 'server') }]) left.push(...(await listLeaks(h.dataDir)));
      if (await readFile(path.join(root, 'server', 'config.json')).then(() => true, () => false)) left.push(`dir ${root}`);
      return left;
    },
  };
}

/** SIGKILLs a netns node's agent (its containers stay, under their conmon), resolving once it is gone. */
export async function killNetnsNode(n: NetnsHost): Promise<void> {
  const p = n.proc;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

/**
 * Starts a netns node's agent again (after killNetnsNode) with its data dir and name: it resumes
 * with its saved credential (a fresh token is passed, as `llmos up --join` needs one). Resolves
 * when it printed its join; the cluster's stop() stops it.
 */
export async function restartNetnsNode(c: NetnsCluster, n: NetnsHost, labels: string[] = []): Promise<void> {
  const token = await createToken(c.server);
  const p = spawnIn(n.netns, llmosBin, ['up', '--data-dir', n.dataDir, '--listen', '127.0.0.1:7070', '--gateway', '127.0.0.1:8080', '--join', c.server.url, '--token', token, '--node-name', n.name, ...labels.flatMap((l) => ['--node-label', l])], { LLMOS_LOG_LEVEL: 'warn' });
  n.proc = p.proc;
  n.output = p.output;
  await until(`node ${n.name} joined again`, async () => {
    if (p.proc.exitCode !== null) throw new Error(`agent ${n.name} exited with ${p.proc.exitCode}:\n${p.output()}`);
    return /joined https:\/\/\S+ as node /.test(p.output());
  }, 60_000, 100);
}

// ---- failures: partitions and agent restarts (issue 20) -----------------------------------------

const partitionTable = 'llmc_partition';

/**
 * Cuts a node off from the server (an nft table in the node's netns dropping every packet to or
 * from the server's address, its own and its containers'), as a lost WAN link does: requests
 * hang, nothing is refused. The other nodes and etcd stay reachable. Resolves to the heal.
 */
export async function partitionNode(c: NetnsCluster, n: NetnsHost): Promise<() => Promise<void>> {
  const server = new URL(c.server.url).hostname;
  const rule = `ip saddr ${server} drop\n    ip daddr ${server} drop`;
  const chains = ['input', 'output', 'forward'].map((h) => `  chain ${h} {\n    type filter hook ${h} priority -150; policy accept;\n    ${rule}\n  }`).join('\n');
  await nftIn(n.netns, `table inet ${partitionTable} {\n${chains}\n}\n`);
  return () => healNode(n);
}

/** Removes the partition of partitionNode (idempotent). */
export async function healNode(n: NetnsHost): Promise<void> {
  await sh('ip', 'netns', 'exec', n.netns, 'nft', 'delete', 'table', 'inet', partitionTable).catch((e: Error) => {
    if (!/No such file|does not exist/i.test(e.message)) throw e;
  });
}

function nftIn(netns: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft -f - in ${netns}: ${err.trim()}`))));
    p.stdin!.end(script);
  });
}

/**
 * Stops a node's agent (SIGTERM, as a reboot's shutdown does; its containers keep running under
 * conmon) and starts it again with the same command line, resolving once the new process has
 * booted (it prints its join line even when the server is unreachable). Output accumulates.
 */
export async function restartNode(n: NetnsHost, timeoutMs = 60_000): Promise<void> {
  if (!n.argv) throw new Error(`node ${n.name} was not started by startNetnsCluster`);
  await stopProc(n.proc);
  const before = n.output();
  const p = spawnIn(n.netns, llmosBin, n.argv, n.env);
  n.proc = p.proc;
  n.output = () => before + p.output();
  await until(`node ${n.name} booted again`, async () => {
    if (p.proc.exitCode !== null) throw new Error(`agent ${n.name} exited with ${p.proc.exitCode}:\n${p.output()}`);
    return /joined https:\/\/\S+ as node /.test(p.output());
  }, timeoutMs, 100);
}
