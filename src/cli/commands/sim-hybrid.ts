// `llmos sim hybrid`: replays hybrid-cloud placement (private nodes first, public ones when full)
// on the Alibaba pod trace, locally (no daemon), with the daemon's own placement code; reports
// the public share over time. The `sim` group lives in sim.ts; it calls registerSimHybrid(sim, ctx).
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { CliError } from '../client.js';
import { wholeNumber } from '../numbers.js';
import { parsePlacement } from '../../contracts/placement.js';
import { parseCpu, parseMemory } from '../../kernel/quantity.js';
import { simulateHybrid } from '../../sim/scheduler/hybrid.js';
import { loadOpenbTrace } from '../../sim/scheduler/trace.js';

const hours = (s: number): string => `${(s / 3600).toFixed(1)}h`;

export function registerSimHybrid(sim: Command, ctx: CliContext): Command {
  return sim
    .command('hybrid')
    .description('replay a pod trace on N private + M public nodes: replicas burst to public when private is full; reports the public share')
    .requiredOption('--trace <file>', 'openb pod list CSV, e.g. traces/alibaba-gpu2023/openb_pod_list_default.csv')
    .option('--private <n>', 'private nodes (llmos.io/cloud=private)', '4')
    .option('--public <n>', 'public nodes (llmos.io/cloud=public)', '8')
    .option('--node-cpu <cores>', 'CPU per node', '128')
    .option('--node-memory <bytes>', 'memory per node', '768Gi')
    .option('--placement <spec>', 'prefer=KEY=VALUE[,burst=KEY=VALUE] as for a service', 'prefer=cloud=private,burst=cloud=public')
    .option('--profile <name>', 'scheduler profile for the score within a tier (default, binpack, balanced)', 'default')
    .option('--move-back <n>', 'after a departure from a private node, try to move up to n public replicas back (0: off)', '8')
    .option('--buckets <n>', 'points in the time series', '24')
    .action((o: { trace: string; private: string; public: string; nodeCpu: string; nodeMemory: string; placement: string; profile: string; moveBack: string; buckets: string }) => {
      const placement = parsePlacement(o.placement);
      if ('error' in placement) throw new CliError(`--placement: ${placement.error}`);
      const opts = {
        privateNodes: wholeNumber('--private', o.private, 0),
        publicNodes: wholeNumber('--public', o.public, 0),
        nodeCpu: parseCpu(o.nodeCpu, '--node-cpu'),
        nodeMemory: parseMemory(o.nodeMemory, '--node-memory'),
        placement: placement.value,
        profile: o.profile,
        moveBack: wholeNumber('--move-back', o.moveBack, 0),
        buckets: wholeNumber('--buckets', o.buckets, 1),
      };
      if (opts.privateNodes + opts.publicNodes === 0) throw new CliError('give at least one node (--private, --public)');
      simulateHybrid([], opts); // checks the profile name before the trace is read
      const pods = loadOpenbTrace(o.trace);
      const r = simulateHybrid(pods, opts);
      ctx.out({ trace: o.trace, pool: { private: opts.privateNodes, public: opts.publicNodes, nodeCpu: opts.nodeCpu, nodeMemory: opts.nodeMemory }, placement: placement.value, ...r }, () =>
        [
          `${r.pods} pods on ${opts.privateNodes} private + ${opts.publicNodes} public nodes x ${opts.nodeCpu / 1000} CPUs / ${o.nodeMemory}, placement ${o.placement}${opts.moveBack ? `, move-back ${opts.moveBack}` : ''}`,
          `placed ${r.placed}, rejected ${r.rejected}${r.rejected ? ` (${Object.entries(r.rejectReasons).sort((a, b) => b[1] - a[1]).slice(0, 2).map(([k, n]) => `${n} ${k}`).join('; ')})` : ''}; burst placements ${r.burstPlacements}, moved back ${r.movedBack}, scale-downs taken from public ${r.scaleDownFromBurst}`,
          `public share: peak ${r.peak.publicReplicaPct}% of replicas (${r.peak.publicReplicas}), ${r.peak.publicCpuPct}% of CPU, at ${hours(r.peak.atSeconds)}; mean ${r.mean.publicReplicaPct}% of replicas, ${r.mean.publicCpuPct}% of CPU; ${r.publicNodeHours} public node-hours`,
          '',
          table(r.series, [
            { header: 'UNTIL', get: (s) => hours(s.t), align: 'right' },
            { header: 'REPLICAS', get: (s) => s.replicas, align: 'right' },
            { header: 'ON PUBLIC', get: (s) => s.publicReplicas, align: 'right' },
            { header: 'PUBLIC % (MEAN)', get: (s) => s.publicReplicaPct.toFixed(1), align: 'right' },
            { header: 'PUBLIC CPU %', get: (s) => s.publicCpuPct.toFixed(1), align: 'right' },
          ]),
        ].join('\n'),
      );
    });
}
