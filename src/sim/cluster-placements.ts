// The placement burst of `llmos sim cluster`, after kube-scheduler's scheduler_perf: the scheduler
// framework (the default profile of src/modules/scheduler, the code the daemon runs) chooses a node
// for each workload (100m CPU, 64 MiB, spread over 50 services) on a cache of the server's node
// list (one GET /v1/nodes, as an informer's initial list; each decision is assumed into it, as
// kube-scheduler's cache assumes a pod before its bind), and each decision is bound by a
// compare-and-swap write of the chosen node's record through the server's API
// (PATCH /v1/nodes/NAME), `concurrency` binds in flight. The server keeps no per-replica record
// of a remote placement, so the node write stands for the bind (bench/cluster/README.md).
import type { NodeView } from '../contracts/cluster.js';
import { Cluster, podInfo } from '../modules/scheduler/node-info.js';
import { buildFramework, profileConfig } from '../modules/scheduler/profile.js';
import { schedule } from '../modules/scheduler/scheduler.js';
import type { NodeSpec } from '../modules/scheduler/types.js';
import { percentile } from './cluster-agents.js';

const Mi = 2 ** 20;

export interface PlacementResult {
  placements: number;
  bound: number;
  unschedulable: number;
  bindFailures: number;
  seconds: number;
  perSecond: number;
  bindP99Ms: number;
  lastError: string;
}

function toSpec(n: NodeView): NodeSpec {
  return {
    name: n.name,
    capacity: { cpu: n.capacity.cpu, memory: n.capacity.memory, pids: 32768 },
    reserved: { cpu: n.capacity.cpu - n.allocatable.cpu, memory: n.capacity.memory - n.allocatable.memory },
    labels: { ...n.labels, zone: n.zone },
    taints: n.taints,
  };
}

type Api = <T>(method: string, p: string, body?: unknown) => Promise<T>;

export async function placementBurst(api: Api, count: number, concurrency: number): Promise<PlacementResult> {
  const fw = buildFramework(profileConfig('default', {}));
  const cluster = new Cluster((await api<{ nodes: NodeView[] }>('GET', '/v1/nodes')).nodes.filter((n) => n.status === 'Ready' && !n.unschedulable).map(toSpec));
  let next = 0;
  let start = 0;
  const r = { bound: 0, unschedulable: 0, bindFailures: 0, lastError: '' };
  const binds: number[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const pod = podInfo({ id: `sim-${i}`, namespace: 'default', requests: { cpu: 100, memory: 64 * Mi }, spreadKey: `service/s${i % 50}` });
      const res = schedule(fw, cluster, pod, { startIndex: start, preempt: false });
      start = res.nextStartIndex;
      if (!res.node) {
        r.unschedulable++;
        continue;
      }
      cluster.assume(pod, res.node);
      const b0 = performance.now();
      try {
        await api('PATCH', `/v1/nodes/${res.node}`, { labels: { 'llmos.io/sim-bound': `w${i}` } });
        binds.push(performance.now() - b0);
        r.bound++;
      } catch (e) {
        r.bindFailures++;
        r.lastError = e instanceof Error ? e.message : String(e);
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  binds.sort((a, b) => a - b);
  return { placements: count, ...r, seconds: Math.round(seconds * 100) / 100, perSecond: Math.round((r.bound / seconds) * 10) / 10, bindP99Ms: Math.round(percentile(binds, 99)) };
}
