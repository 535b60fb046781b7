// bench/cluster (issue 19): the control plane with 3 real agents and 1,000 simulated nodes
// (src/sim/cluster-agents.ts, as `llmos sim cluster`'s: real joins and 10 s lease renewals over the API), once on SQLite (the
// baseline) and once on a 3-member etcd (LLMOS cluster mode). For each store:
// - placements/s: the placement burst of `llmos sim cluster` (src/sim/cluster-placements.ts): the
//   scheduler framework (default profile) choosing a node for each workload on a cache of
//   GET /v1/nodes that assumes each decision, as kube-scheduler's does, and each decision bound by
//   a compare-and-swap write of the chosen node's record through the API (PATCH /v1/nodes/NAME),
//   `concurrency` binds in flight;
// - the server's RSS and CPU (and etcd's) over `soak` seconds of 1,000 nodes heartbeating.
// Target: etcd placements >= 0.5x SQLite.
// Run: npm run build && node dist/bench/cluster/run.js [--fake 1000] [--placements 2000] [--concurrency 16] [--soak 30] [--stores sqlite,etcd] [--json]
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import https from 'node:https';
import type { NodeView } from '../../src/contracts/cluster.js';
import { runCli, startDaemon, type TestDaemon } from '../../test/support/daemon.js';
import { startAgent, withConfig } from '../../test/support/cluster.js';
import { startEtcd, type TestEtcd } from '../../test/support/etcd.js';
import { SimAgents } from '../../src/sim/cluster-agents.js';
import { placementBurst } from '../../src/sim/cluster-placements.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const fakeCount = Number(arg('fake', '1000'));
const placements = Number(arg('placements', '2000'));
const concurrency = Number(arg('concurrency', '16'));
const soakSeconds = Number(arg('soak', '30'));
const stores = arg('stores', 'sqlite,etcd').split(',');
const json = process.argv.includes('--json');
const Mi = 2 ** 20;

/** utime+stime (s) and RSS (bytes) of a process, from /proc. */
async function usage(pid: number): Promise<{ cpu: number; rss: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  return { cpu: (Number(stat[11]) + Number(stat[12])) / 100, rss };
}

interface Result {
  store: string;
  nodes: number;
  placements: number;
  bound: number;
  failed: number;
  seconds: number;
  placementsPerSecond: number;
  serverRssMiB: number;
  serverCpuPercent: number;
  etcdRssMiB?: number;
  etcdCpuPercent?: number;
  renewals: number;
  renewalFailures: number;
  joinRetries: number;
}

async function runStore(store: string): Promise<Result> {
  let etcd: TestEtcd | undefined;
  const agents: TestDaemon[] = [];
  let server: TestDaemon | undefined;
  let fakes: SimAgents | undefined;
  const dirs: string[] = [];
  try {
    if (store === 'etcd') etcd = await startEtcd(3);
    const dataDir = await withConfig({ modules: { cluster: { leaseIntervalMs: 10_000, leaseGraceMs: 40_000 } } });
    dirs.push(dataDir);
    server = await startDaemon({ dataDir, args: ['--listen', '0.0.0.0:0', ...(etcd ? ['--store', `etcd://${etcd.endpoints.map((e) => e.replace(/^http:\/\//, '')).join(',')}`] : [])] });
    const url = `https://127.0.0.1:${new URL(server.host).port}`;
    const ca = await readFile(path.join(dataDir, 'ca', 'ca.crt'), 'utf8');
    const made = await runCli(['token', 'create'], { env: { ...process.env, LLMOS_HOST: url, LLMOS_DATA_DIR: dataDir } as Record<string, string> });
    if (made.code !== 0) throw new Error(`token create: ${made.stderr}`);
    const token = made.stdout.trim().split('\n').at(-1)!;
    for (let i = 1; i <= 3; i++) {
      // Real agents (full daemons), without container networking so the bench leaves the host's network alone.
      const dir = await withConfig({ modules: { network: { enabled: false } } });
      dirs.push(dir);
      agents.push(await startAgent(url, token, `real-${i}`, { dataDir: dir }));
    }
    fakes = await SimAgents.join({ server: url, token, count: fakeCount });
    const pool = new https.Agent({ keepAlive: true, maxSockets: concurrency + 2, ca });
    const apiCall = <T>(method: string, p: string, body?: unknown) => new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(new URL(p, url), { method, agent: pool, headers: { authorization: `Bearer ${server!.token}`, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve(JSON.parse(Buffer.concat(parts).toString()) as T) : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(payload);
    });

    // Heartbeats only: the control plane's footprint with every node renewing every 10 s.
    await new Promise((r) => setTimeout(r, 10_000)); // one full round of renewals before measuring
    const pids = [server.proc.pid!];
    const etcdPids = etcd ? etcd.members.map((m) => m.proc!.pid!) : [];
    const s0 = await usage(pids[0]!);
    const e0 = await Promise.all(etcdPids.map(usage));
    await new Promise((r) => setTimeout(r, soakSeconds * 1000));
    const s1 = await usage(pids[0]!);
    const e1 = await Promise.all(etcdPids.map(usage));

    // Placements: the same burst as `llmos sim cluster` (src/sim/cluster-placements.ts).
    const nodes = (await apiCall<{ nodes: NodeView[] }>('GET', '/v1/nodes')).nodes.filter((n) => n.status === 'Ready').length;
    const burst = await placementBurst(apiCall, placements, concurrency);
    pool.destroy();
    const sum = (xs: Array<{ cpu: number; rss: number }>, k: 'cpu' | 'rss') => xs.reduce((a, x) => a + x[k], 0);
    return {
      store,
      nodes,
      placements,
      bound: burst.bound,
      failed: burst.unschedulable + burst.bindFailures,
      seconds: burst.seconds,
      placementsPerSecond: Math.round(burst.perSecond),
      serverRssMiB: Math.round(s1.rss / Mi),
      serverCpuPercent: Math.round(((s1.cpu - s0.cpu) / soakSeconds) * 1000) / 10,
      ...(etcd ? { etcdRssMiB: Math.round(sum(e1, 'rss') / Mi), etcdCpuPercent: Math.round(((sum(e1, 'cpu') - sum(e0, 'cpu')) / soakSeconds) * 1000) / 10 } : {}),
      renewals: fakes.renewed,
      renewalFailures: fakes.failed,
      joinRetries: fakes.joinRetries,
    };
  } finally {
    await fakes?.close();
    for (const a of agents) await a.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await etcd?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}

const results: Result[] = [];
for (const s of stores) {
  results.push(await runStore(s));
  if (!json) process.stderr.write(`${JSON.stringify(results.at(-1))}\n`); // each store's numbers as soon as they are in
}
const base = results.find((r) => r.store === 'sqlite');
const llmos = results.find((r) => r.store === 'etcd');
if (json) process.stdout.write(JSON.stringify({ results, ratio: base && llmos ? llmos.placementsPerSecond / base.placementsPerSecond : null }, null, 2) + '\n');
else {
  process.stdout.write(`cluster bench: 3 real agents + ${fakeCount} simulated nodes renewing every 10 s; ${placements} placements, ${concurrency} binds in flight\n`);
  for (const r of results) {
    process.stdout.write(`  ${r.store === 'sqlite' ? 'baseline (SQLite)' : r.store === 'etcd' ? 'LLMOS (etcd, 3 members)' : r.store}: ${r.placementsPerSecond} placements/s (${r.bound} bound, ${r.failed} failed, ${r.seconds}s, ${r.nodes} Ready nodes); server RSS ${r.serverRssMiB} MiB, CPU ${r.serverCpuPercent}% of a core${r.etcdRssMiB !== undefined ? `; etcd RSS ${r.etcdRssMiB} MiB, CPU ${r.etcdCpuPercent}%` : ''}; ${r.renewals} renewals, ${r.renewalFailures} failed; ${r.joinRetries} joins retried\n`);
  }
  if (base && llmos) process.stdout.write(`  ratio etcd/SQLite: ${(llmos.placementsPerSecond / base.placementsPerSecond).toFixed(2)}x (target >= 0.5x)\n`);
}
