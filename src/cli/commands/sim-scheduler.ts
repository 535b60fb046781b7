// `llmos sim scheduler`: replays the Alibaba GPU pod trace against a simulated node pool through
// the scheduler framework, locally (no daemon), and reports each scoring profile.
// The `sim` group lives in sim.ts; it calls registerSimScheduler(sim, ctx) to add this command.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { wholeNumber } from '../numbers.js';
import { parseCpu, parseMemory } from '../../kernel/quantity.js';
import { simulateScheduler } from '../../sim/scheduler/simulate.js';
import { loadOpenbTrace } from '../../sim/scheduler/trace.js';

export function registerSimScheduler(sim: Command, ctx: CliContext): Command {
  return sim
    .command('scheduler')
    .description('replay a pod trace (arrivals, departures, requests) against a node pool per scoring profile')
    .requiredOption('--trace <file>', 'openb pod list CSV, e.g. traces/alibaba-gpu2023/openb_pod_list_default.csv')
    .option('--nodes <n>', 'nodes in the pool', '8')
    .option('--node-cpu <cores>', 'CPU per node', '128')
    .option('--node-memory <bytes>', 'memory per node', '768Gi')
    .option('--zones <n>', 'zones the nodes are spread over', '4')
    .option('--profile <names>', 'default, binpack, balanced (comma-separated) or all', 'all')
    .option('--no-preempt', 'reject instead of preempting lower-priority pods')
    .action((o: { trace: string; nodes: string; nodeCpu: string; nodeMemory: string; zones: string; profile: string; preempt: boolean }) => {
      const nodes = wholeNumber('--nodes', o.nodes, 1);
      const zones = wholeNumber('--zones', o.zones, 1);
      const nodeCpu = parseCpu(o.nodeCpu);
      const nodeMemory = parseMemory(o.nodeMemory);
      const profiles = o.profile.split(',').map((s) => s.trim()).filter(Boolean);
      simulateScheduler([], { nodes, nodeCpu, nodeMemory, zones, profiles }); // checks the profile names before the trace is read
      const pods = loadOpenbTrace(o.trace);
      const results = simulateScheduler(pods, { nodes, nodeCpu, nodeMemory, zones, profiles, preempt: o.preempt });
      ctx.out({ trace: o.trace, pods: pods.length, pool: { nodes, nodeCpu, nodeMemory, zones }, preempt: o.preempt, results }, () =>
        [
          `${pods.length} pods replayed onto ${nodes} nodes x ${nodeCpu / 1000} CPUs / ${o.nodeMemory} (GPUs not modelled)${o.preempt ? ', with preemption by QoS priority (LS 100, Burstable 50, BE 0)' : ''}`,
          table(results, [
            { header: 'PROFILE', get: (r) => r.profile },
            { header: 'PLACED', get: (r) => r.placed, align: 'right' },
            { header: 'REJECTED', get: (r) => `${r.rejected} (${r.rejectedPct}%)`, align: 'right' },
            { header: 'PREEMPTED', get: (r) => r.preempted, align: 'right' },
            { header: 'LATENCY P50', get: (r) => `${r.latencyMicros.p50}µs`, align: 'right' },
            { header: 'P99', get: (r) => `${r.latencyMicros.p99}µs`, align: 'right' },
            { header: 'FRAGMENTATION', get: (r) => `${r.fragmentationPct}%`, align: 'right' },
            { header: 'CPU ALLOC', get: (r) => `${r.cpuAllocatedPct}%`, align: 'right' },
            { header: 'NODES USED', get: (r) => r.meanNodesUsed, align: 'right' },
          ]),
          '',
          'FRAGMENTATION: expected share of free CPU an arriving pod (drawn from the trace\'s mix) cannot use, averaged over the replay.',
        ].join('\n'),
      );
    });
}
