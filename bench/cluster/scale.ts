// bench/cluster/scale (issue 20, "Scale"): `llmos sim cluster` (src/sim/cluster.ts) with 5,000
// simulated agents against a real server, once per store in the same run: the server on a real
// etcd (LLMOS cluster mode) and on its embedded SQLite store (the baseline). Each prints the
// server's CPU and RSS with every node heartbeating at the default lease period (10 s), the
// heartbeat latency p50/p99, placements/s of the burst, and the time to detect 100 simultaneous
// node failures with --node-grace shortened to 20 s; then the ratios etcd/SQLite.
// Run: npm run build && node dist/bench/cluster/scale.js [--nodes 5000] [--placements 50000] [--stores etcd,sqlite] [--soak 30s] [--json]
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../../src/kernel/quantity.js';
import { simulateCluster, type ClusterSimReport } from '../../src/sim/cluster.js';
import { abandon, llmosCommand } from '../../src/sim/cluster-server.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const json = process.argv.includes('--json');
const stores = arg('stores', 'etcd,sqlite').split(',');
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (abandon(), process.exit(1)));

const results: ClusterSimReport[] = [];
for (const store of stores) {
  const r = await simulateCluster({
    llmos: llmosCommand(fileURLToPath(import.meta.url)),
    nodes: Number(arg('nodes', '5000')),
    store,
    placements: Number(arg('placements', '50000')),
    concurrency: Number(arg('concurrency', '16')),
    fail: Number(arg('fail', '100')),
    leaseIntervalMs: parseDuration(arg('lease-interval', '10s'), '--lease-interval'),
    nodeGraceMs: parseDuration(arg('node-grace', '20s'), '--node-grace'),
    soakMs: parseDuration(arg('soak', '30s'), '--soak'),
    connections: Number(arg('connections', '64')),
    onProgress: (line) => process.stderr.write(`${store}: ${line}\n`),
  });
  results.push(r);
  process.stderr.write(`${JSON.stringify(r)}\n`); // each store's numbers as soon as they are in
}
const base = results.find((r) => r.store === 'sqlite');
const llmos = results.find((r) => r.store === 'etcd');
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? Math.round((a / b) * 100) / 100 : null);
const ratios = { placementsPerSecond: ratio(llmos?.placements.perSecond, base?.placements.perSecond), heartbeatP99: ratio(llmos?.heartbeats.p99Ms, base?.heartbeats.p99Ms), serverCpu: ratio(llmos?.server.cpuPercent, base?.server.cpuPercent), serverRss: ratio(llmos?.server.rssMiB, base?.server.rssMiB) };
if (json) process.stdout.write(JSON.stringify({ results, ratios }, null, 2) + '\n');
else {
  for (const r of results) {
    process.stdout.write(`${r.store === 'sqlite' ? 'baseline (SQLite)' : 'LLMOS (etcd)'}: ${r.nodes} nodes; server ${r.server.rssMiB} MiB RSS, ${r.server.cpuPercent}% CPU${r.etcd ? ` (etcd ${r.etcd.rssMiB} MiB, ${r.etcd.cpuPercent}%)` : ''}; heartbeats ${r.heartbeats.perSecond}/s p99 ${r.heartbeats.p99Ms} ms; ${r.placements.perSecond} placements/s; 100 failures detected in ${r.failures.seconds} s (${r.failures.detected}/${r.failures.stopped}); joins ${r.join.perSecond}/s\n`);
  }
  process.stdout.write(`ratios etcd/SQLite: ${JSON.stringify(ratios)}\n`);
}
