// `llmos sim functions|service|report`: trace-driven simulation, run locally in the CLI process
// (no daemon), through the same policy code the daemon runs.
import { type Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { InvalidArgument } from '../../kernel/errors.js';
import { parseDuration } from '../../kernel/quantity.js';
import { expandPolicyList, simulateFunctions } from '../../sim/functions.js';
import { expandServicePolicies, simulateService } from '../../sim/service.js';
import { loadFunctionTrace, loadServiceTrace } from '../../sim/traces.js';
import { progressBar, writeFunctionsRun, writeServiceRun } from '../../sim/report.js';
import { SERVICE_DEFAULTS, generateEvaluation, half } from '../../sim/evaluation.js';
import { registerSimScheduler } from './sim-scheduler.js';
import { registerSimHybrid } from './sim-hybrid.js';
import { registerSimCluster } from './sim-cluster.js';
import { tracesDir } from '../../sim/paths.js';
import { basename, resolve } from 'node:path';

function int(v: string, what: string, min = 0): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgument(`${what} must be an integer >= ${min}, got "${v}"`);
  return n;
}

function num(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgument(`${what} must be a number > 0, got "${v}"`);
  return n;
}

export function simCommands(program: Command, ctx: CliContext): void {
  const sim = program.command('sim').description('replay real traces through the scaling and keep-alive policies (local, no daemon)');
  registerSimScheduler(sim, ctx);
  registerSimHybrid(sim, ctx);
  registerSimCluster(sim, ctx);

  sim
    .command('functions')
    .description('keep-alive policies on an Azure-Functions-format trace folder')
    .requiredOption('--trace <dir>', 'trace folder (recognised by CSV headers), e.g. traces/azure2019-fullday-1000')
    .option('--policy <list>', 'cost|hybrid|adaptive|fixed:10m|oracle|..., comma-separated, or all', 'all')
    .option('--seed <n>', 'random seed for spreading invocations within each minute', '1')
    .option('--half <a|b>', 'only one half of the functions (split by hash), for held-out checks')
    .option('--out <dir>', 'write a Markdown report, JSON and an SVG chart here')
    .action(async (o: { trace: string; policy: string; seed: string; half?: string; out?: string }) => {
      const policies = expandPolicyList(o.policy);
      const seed = int(o.seed, '--seed');
      if (o.half !== undefined && o.half !== 'a' && o.half !== 'b') throw new InvalidArgument('--half must be a or b');
      const trace = loadFunctionTrace(o.trace, o.half ? { filter: half(o.half === 'a' ? 0 : 1) } : {});
      const r = simulateFunctions(trace, { policies, seed, onProgress: progressBar('sim functions') });
      const name = `functions-${basename(resolve(o.trace))}${o.half ? `-half-${o.half}` : ''}`;
      const files = o.out ? writeFunctionsRun(o.out, name, r, { trace: o.trace }) : [];
      ctx.out({ policies: r.policies.map(({ name, coldStartP75Pct, wastedMemoryPct, coldStarts, instanceSeconds }) => ({ name, coldStartP75Pct, wastedMemoryPct, coldStarts, instanceSeconds })), apps: r.apps, invocations: r.invocations, seed, files }, () =>
        [
          `${r.apps} apps, ${r.invocations} invocations, ${r.minutes} minutes, seed ${seed}`,
          table(r.policies, [
            { header: 'POLICY', get: (p) => p.name },
            { header: 'COLD% P75', get: (p) => p.coldStartP75Pct.toFixed(2), align: 'right' },
            { header: 'COLD% P50', get: (p) => p.coldStartDistribution.p50.toFixed(2), align: 'right' },
            { header: 'WASTED MEM %', get: (p) => p.wastedMemoryPct.toFixed(1), align: 'right' },
            { header: 'COLD STARTS', get: (p) => p.coldStarts, align: 'right' },
            { header: 'INSTANCE-S', get: (p) => p.instanceSeconds, align: 'right' },
          ]),
          ...(files.length ? ['', `wrote ${files.join(', ')}`] : []),
        ].join('\n'),
      );
    });

  sim
    .command('service')
    .description('service autoscaling policies on a time,count CSV (WorldCup98 format)')
    .requiredOption('--trace <file>', 'CSV of time,count rows, e.g. traces/worldcup98/invocation_count.csv')
    .option('--policy <list>', 'blend|threshold|concurrency|predictive|learned, comma-separated, or all', 'all')
    .option('--capacity <rps>', 'requests per second one replica serves', String(SERVICE_DEFAULTS.capacityRps))
    .option('--startup <duration>', 'time from scale-up to a ready replica', `${SERVICE_DEFAULTS.startupMs / 1000}s`)
    .option('--target-utilization <fraction>', 'target share of a replica\'s capacity', String(SERVICE_DEFAULTS.targetUtilization))
    .option('--min <n>', 'minimum replicas', String(SERVICE_DEFAULTS.min))
    .option('--max <n>', 'maximum replicas', String(SERVICE_DEFAULTS.max))
    .option('--from <time>', 'start of the replayed range, e.g. 1998-06-10 (UTC)')
    .option('--to <time>', 'end of the replayed range (exclusive)')
    .option('--seed <n>', 'accepted for symmetry; the service replay has no randomness', '1')
    .option('--out <dir>', 'write a Markdown report, JSON and an SVG chart here')
    .action(async (o: { trace: string; policy: string; capacity: string; startup: string; targetUtilization: string; min: string; max: string; from?: string; to?: string; out?: string }) => {
      const policies = expandServicePolicies(o.policy);
      const capacityRps = num(o.capacity, '--capacity');
      const startupMs = parseDuration(o.startup, '--startup');
      const targetUtilization = num(o.targetUtilization, '--target-utilization');
      if (targetUtilization > 1) throw new InvalidArgument('--target-utilization must be in (0, 1]');
      const min = int(o.min, '--min');
      const max = int(o.max, '--max', 1);
      if (min > max) throw new InvalidArgument('--min must not exceed --max');
      const time = (s: string | undefined, what: string) => {
        if (s === undefined) return undefined;
        const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}${s.includes('T') || s.includes(' ') ? '' : 'T00:00:00'}Z`);
        if (!Number.isFinite(t)) throw new InvalidArgument(`${what} "${s}" is not a date`);
        return t;
      };
      const trace = loadServiceTrace(o.trace, { fromMs: time(o.from, '--from'), toMs: time(o.to, '--to') });
      const r = simulateService(trace, { policies, capacityRps, startupMs, targetUtilization, min, max, onProgress: progressBar('sim service') });
      const name = `service-${basename(resolve(o.trace)).replace(/\.csv$/, '')}`;
      const files = o.out ? writeServiceRun(o.out, name, r, { trace: o.trace, capacityRps, startupMs, targetUtilization, min, max }) : [];
      ctx.out({ policies: r.policies.map(({ name, underProvisionedPct, replicaMinutes, scalingActions }) => ({ name, underProvisionedPct, replicaMinutes, scalingActions })), seconds: r.seconds, files }, () =>
        [
          `${Math.round(r.seconds / 3600)} hours, ${r.requests} requests, ${capacityRps} rps per replica, start-up ${startupMs / 1000} s`,
          table(r.policies, [
            { header: 'POLICY', get: (p) => p.name },
            { header: 'UNDER-PROVISIONED %', get: (p) => p.underProvisionedPct.toFixed(3), align: 'right' },
            { header: 'REPLICA-MIN', get: (p) => p.replicaMinutes, align: 'right' },
            { header: 'OVER-PROV REPLICA-MIN', get: (p) => p.overProvisionedReplicaMinutes, align: 'right' },
            { header: 'ACTIONS', get: (p) => p.scalingActions, align: 'right' },
          ]),
          ...(files.length ? ['', `wrote ${files.join(', ')}`] : []),
        ].join('\n'),
      );
    });

  sim
    .command('report')
    .description('regenerate docs/evaluation.md and its charts from the traces')
    .option('--trace <dir>', 'folder holding the trace folders (default: $LLMOS_TRACES)')
    .addOption(new Option('--traces <dir>').hideHelp()) // the earlier spelling
    .option('--out <dir>', 'where evaluation.md goes', 'docs')
    .option('--seed <n>', 'random seed', '1')
    .action(async (o: { trace?: string; traces?: string; out: string; seed: string }) => {
      const r = generateEvaluation({ tracesDir: tracesDir(o.trace ?? o.traces), out: o.out, seed: int(o.seed, '--seed'), onProgress: progressBar('sim report') });
      ctx.out(r, () =>
        [
          `wrote ${r.file}`,
          ...r.functions.map((v) => `${v.sample}: cost p75 ${v.ours.toFixed(2)}% vs hybrid ${v.hybrid.toFixed(2)}% / oracle ${v.oracle.toFixed(2)}% (${v.gapClosedPct.toFixed(0)}% of gap), memory ${v.memOurs.toFixed(1)} vs ${v.memHybrid.toFixed(1)}: ${v.met ? 'target met' : 'target not met'}`),
          `worldcup98: ${r.service.best} cuts under-provisioned time ${r.service.underCutPct.toFixed(0)}% at ${r.service.extraReplicaMinutesPct.toFixed(1)}% replica-minutes: ${r.service.met ? 'target met' : 'target not met'}; Azure-derived series: target met on ${r.series.met} of ${r.series.of}`,
        ].join('\n'),
      );
    });
}
