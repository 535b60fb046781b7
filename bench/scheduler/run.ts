// bench/scheduler: schedule 10,000 and 50,000 workloads onto 5,000 simulated nodes with the full
// default profile (4 filters, 5 weighted scores), on one core, and report placements per second.
// Target (issue 8): >= 5,000 placements/s. Baseline: kube-scheduler's own performance tests
// require 680 pods/s for 5,000 nodes and 10,000 pods (SchedulingBasic, 5000Nodes/10000Pods).
// Node sampling: percentageOfNodesToScore adaptive as kube-scheduler (10% = 500 nodes at 5,000
// nodes), and a second run with 100% (every node filtered and scored) for comparison.
// Run: npx tsc -p . && node dist/bench/scheduler/run.js [--nodes 5000] [--pods 10000,50000] [--percentages 0,100] [--warmup 2000] [--json]
import { Cluster, podInfo, type PodInfo } from '../../src/modules/scheduler/node-info.js';
import { buildFramework, profileConfig } from '../../src/modules/scheduler/profile.js';
import { schedule } from '../../src/modules/scheduler/scheduler.js';
import type { NodeSpec, WorkloadRequest } from '../../src/modules/scheduler/types.js';
import { seededRng } from '../../src/sim/rng.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const numNodes = Number(arg('nodes', '5000'));
const podCounts = arg('pods', '10000,50000').split(',').map(Number);
const percentages = arg('percentages', '0,100').split(',').map(Number);
const json = process.argv.includes('--json');
/** Workloads scheduled on a throw-away cluster first, so the timed runs measure steady state, not JIT warm-up. */
const warmup = Number(arg('warmup', '2000'));

const Gi = 2 ** 30;
const Mi = 2 ** 20;


const images = Array.from({ length: 20 }, (_, i) => `registry.local/app-${i}:1`);

function makeNodes(n: number, r: () => number): NodeSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const edge = i % 10 === 0;
    const held: Record<string, number> = {};
    for (let k = 0; k < 3; k++) held[images[Math.floor(r() * images.length)]!] = Math.floor((50 + r() * 900) * Mi);
    return {
      name: `node-${i}`,
      capacity: edge ? { cpu: 8000, memory: 16 * Gi, pids: 4096 } : { cpu: 32000, memory: 128 * Gi, pids: 32768 },
      reserved: { cpu: 500, memory: 1 * Gi },
      labels: { zone: `zone-${i % 8}`, role: edge ? 'edge' : 'cloud', rack: `r${i % 50}` },
      taints: edge ? [{ key: 'edge', value: 'true', effect: 'NoSchedule' }] : i % 7 === 0 ? [{ key: 'maintenance', effect: 'PreferNoSchedule' }] : [],
      images: held,
    };
  });
}

function makeWorkloads(n: number, r: () => number): WorkloadRequest[] {
  return Array.from({ length: n }, (_, i) => {
    const size = r();
    const cpu = size < 0.6 ? 250 : size < 0.9 ? 1000 : 2000;
    const memory = size < 0.6 ? 512 * Mi : size < 0.9 ? 2 * Gi : 4 * Gi;
    const w: WorkloadRequest = { id: `w-${i}`, namespace: `team-${i % 5}`, requests: { cpu, memory }, limits: { cpu: cpu * 2, memory }, image: images[i % images.length], spreadKey: `service/svc-${i % 500}` };
    if (i % 10 === 0) {
      w.nodeSelector = { role: 'edge' };
      w.tolerations = [{ key: 'edge', operator: 'Exists' }];
    }
    if (i % 50 === 0) w.hostPorts = [{ port: 8000 + (i % 100) }];
    return w;
  });
}

interface Result { nodes: number; pods: number; percentageOfNodesToScore: string; placed: number; rejected: number; seconds: number; cpuSeconds: number; placementsPerSecond: number; placementsPerCpuSecond: number; meanNodesEvaluated: number; p99Micros: number }

function run(pods: number, pct: number): Result {
  const r = seededRng(42); // deterministic: every run schedules the same workloads
  const cluster = new Cluster(makeNodes(numNodes, r));
  const fw = buildFramework(profileConfig('default', { percentageOfNodesToScore: pct }));
  const infos: PodInfo[] = makeWorkloads(pods, r).map(podInfo);
  const lat = new Float64Array(pods);
  let start = 0;
  let placed = 0;
  let evaluated = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < infos.length; i++) {
    const t = performance.now();
    const res = schedule(fw, cluster, infos[i]!, { startIndex: start, preempt: false });
    start = res.nextStartIndex;
    evaluated += res.evaluated;
    if (res.node) {
      cluster.assume(infos[i]!, res.node);
      placed++;
    }
    lat[i] = performance.now() - t;
  }
  const seconds = (performance.now() - t0) / 1000;
  // CPU time of this process: the rate per core even when other processes share the machine.
  const cu = process.cpuUsage(c0);
  const cpuSeconds = (cu.user + cu.system) / 1e6;
  lat.sort();
  return {
    nodes: numNodes,
    pods,
    percentageOfNodesToScore: pct === 0 ? 'adaptive' : `${pct}%`,
    placed,
    rejected: pods - placed,
    seconds: Math.round(seconds * 1000) / 1000,
    cpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
    placementsPerSecond: Math.round(pods / seconds),
    placementsPerCpuSecond: Math.round(pods / cpuSeconds),
    meanNodesEvaluated: Math.round(evaluated / pods),
    p99Micros: Math.round(lat[Math.floor(pods * 0.99)]! * 1000),
  };
}

if (warmup > 0) run(warmup, 0);
const results: Result[] = [];
for (const pct of percentages) for (const pods of podCounts) results.push(run(pods, pct));
if (json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
else {
  process.stdout.write(`scheduler bench: ${numNodes} nodes, default profile, one core (target >= 5000 placements/s; kube-scheduler perf test requires 680/s)\n`);
  for (const x of results)
    process.stdout.write(`  ${String(x.pods).padStart(6)} workloads, nodes scored ${x.percentageOfNodesToScore.padEnd(8)}: ${String(x.placementsPerSecond).padStart(6)} placements/s wall (${x.seconds}s), ${String(x.placementsPerCpuSecond).padStart(6)} per CPU-second, placed ${x.placed}, rejected ${x.rejected}, mean nodes filtered ${x.meanNodesEvaluated}, p99 ${x.p99Micros} µs\n`);
}
