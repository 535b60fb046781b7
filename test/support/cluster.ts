// Cluster test rigs, all real processes:
// - startServer/startAgent/joinOnce: a server daemon serving TLS off loopback and agent daemons
//   (`llmos up --join`) on the same host;
// - startNetnsCluster: N "machines" as network namespaces on one "physical" bridge (10.200.X.0/24),
//   each with its own data dir, CNI bridge, pod subnet and cgroup parent (by data dir), running
//   `llmos up --join` inside its netns, a 3-member etcd in three more netns, and the server in the
//   root netns on the bridge's address with `--store etcd://...`. stop() tears it all down;
//   leftovers() lists what of it is still on the host.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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

// ---- N machines as network namespaces ---------------------------------------------------------

export interface NetnsHost {
  name: string;
  netns: string;
  ip: string;
  dataDir: string;
  proc?: ChildProcess;
  output(): string;
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
  const proc = spawn('ip', ['netns', 'exec', netns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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

export async function startNetnsCluster(count: number, opts: { nodeLabels?: (i: number) => string[] } = {}): Promise<NetnsCluster> {
  const id = randomBytes(2).toString('hex');
  const subnet = 1 + (parseInt(id, 16) % 250);
  const bridge = `lcbr${id}`;
  const root = await mkdtemp(path.join(os.tmpdir(), `llmos-netns-${id}-`));
  const etcd: NetnsHost[] = [];
  const nodes: NetnsHost[] = [];
  let server: (TestDaemon & { url: string }) | undefined;
  const stop = async () => {
    await Promise.all(nodes.map((n) => stopProc(n.proc)));
    await server?.stop().catch(() => undefined);
    await Promise.all(etcd.map((e) => stopProc(e.proc, 5000)));
    for (const h of [...nodes, ...etcd]) await quiet('ip', 'netns', 'del', h.netns);
    await quiet('ip', 'link', 'del', bridge);
    await rm(root, { recursive: true, force: true });
  };
  try {
    await sh('ip', 'link', 'add', bridge, 'type', 'bridge');
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
    await writeFile(path.join(serverDir, 'config.json'), JSON.stringify({ modules: fastLeases }));
    const d = await startDaemon({ dataDir: serverDir, args: ['--listen', `10.200.${subnet}.1:0`, '--store', `etcd://${members.map((m) => `${m.ip}:2379`).join(',')}`] });
    const url = d.host.replace(/^http:/, 'https:');
    server = Object.assign(d, {
      url,
      host: url,
      cli: (args: string[], o: { env?: Record<string, string>; timeoutMs?: number } = {}) => runCli(args, { ...o, env: { ...process.env, LLMOS_HOST: url, LLMOS_DATA_DIR: serverDir, ...o.env } as Record<string, string> }),
    });
    const token = await createToken(server);
    for (let i = 1; i <= count; i++) {
      const name = `h${i}`;
      const { netns, ip } = await plugHost(id, bridge, subnet, 100 + i, name);
      const dataDir = path.join(root, name);
      await mkdir(dataDir, { mode: 0o700 });
      // Its own CNI bridge, pod subnet, IPAM and DNS dirs (cgroups and runc state follow the data dir).
      await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { network: { bridge: `lc${id}n${i}`, subnet: `10.89.${i}.0/24`, name: `llmc-${id}-${i}`, ipamDir: path.join(dataDir, 'ipam'), dnsDir: path.join(dataDir, 'dns') } } }));
      const p = spawnIn(netns, llmosBin, ['up', '--data-dir', dataDir, '--listen', '127.0.0.1:7070', '--gateway', '127.0.0.1:8080', '--join', url, '--token', token, '--node-name', name, ...(opts.nodeLabels?.(i) ?? []).flatMap((l) => ['--node-label', l])], { LLMOS_LOG_LEVEL: 'warn' });
      nodes.push({ name, netns, ip, dataDir, proc: p.proc, output: p.output });
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
      const links = (await sh('ip', '-o', 'link', 'show').catch(() => '')).split('\n').filter((l) => l.includes(`lcbr${id}`) || l.includes(`lc${id}`));
      left.push(...links.map((l) => `link ${l.split(':')[1]?.trim()}`));
      const procs = (await sh('ps', '-eo', 'pid,args').catch(() => '')).split('\n').filter((l) => l.includes(root) && !l.includes('ps -eo'));
      left.push(...procs.map((p) => `process ${p.trim()}`));
      for (const h of [...nodes, { dataDir: path.join(root, 'server') }]) left.push(...(await listLeaks(h.dataDir)));
      if (await readFile(path.join(root, 'server', 'config.json')).then(() => true, () => false)) left.push(`dir ${root}`);
      return left;
    },
  };
}
