// `llmos autoscale`: attach a scaling policy to a service or function, and read its decisions.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { wholeNumber } from '../numbers.js';
import { table } from '../output.js';
import { CliError } from '../client.js';
import { metricFlagSchema, type AutoscalerSpec, type Decision, type MetricTarget } from '../../contracts/autoscaler.js';
import { InvalidArgument } from '../../kernel/errors.js';
import { parseDuration } from '../../kernel/quantity.js';

const collect = (v: string, prev: string[]) => [...prev, v];

function parseMetricFlag(flag: string): MetricTarget {
  const r = metricFlagSchema.safeParse(flag);
  if (!r.success) throw new InvalidArgument(r.error.issues[0]!.message);
  return r.data;
}

export function autoscalerCommands(program: Command, ctx: CliContext): void {
  const as = program
    .command('autoscale')
    .description('scale a service or function automatically: llmos autoscale NAME --policy threshold --metric cpu=60% --min 1 --max 10')
    .argument('[target]', 'service name, service/NAME or function/NAME')
    .option('--policy <policy>', 'blend | threshold | concurrency | predictive | learned', 'blend')
    .option('--metric <metric>', 'cpu=60% | memory=70% | rps=100 | concurrency=10 (repeatable; max wins)', collect, [])
    .option('--min <n>', 'fewest replicas (0 allows scale to zero)', '1')
    .option('--max <n>', 'most replicas', '10')
    .option('--period <duration>', 'control period (default 2s for concurrency, 15s otherwise)')
    .option('--startup <duration>', 'replica start-up latency the predictive policies look ahead by', '5s')
    .option('--scale-down-window <duration>', 'threshold: scale-down stabilization window (HPA default 300s)')
    .option('--stable-window <duration>', 'concurrency: stable window (KPA default 60s; the panic window is 10% of it)')
    .option('--name <name>', 'autoscaler name (default: the target name)')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action(async (target: string | undefined, o: { policy: string; metric: string[]; min: string; max: string; period?: string; startup: string; scaleDownWindow?: string; stableWindow?: string; name?: string; namespace: string }) => {
      if (!target) throw new CliError('name the service or function to scale (see llmos autoscale --help)');
      const full = target.includes('/') ? target : `service/${target}`;
      const metrics = (o.metric.length ? o.metric : [o.policy === 'concurrency' ? 'concurrency=10' : 'cpu=80%']).map(parseMetricFlag);
      const spec = {
        name: o.name ?? full.split('/')[1],
        namespace: o.namespace,
        target: full,
        policy: o.policy,
        min: wholeNumber('--min', o.min),
        max: wholeNumber('--max', o.max),
        metrics,
        ...(o.period ? { periodMs: parseDuration(o.period, '--period') } : {}),
        startupMs: parseDuration(o.startup, '--startup'),
        ...(o.scaleDownWindow ? { hpa: { scaleDown: { stabilizationWindowSeconds: parseDuration(o.scaleDownWindow, '--scale-down-window') / 1000 } } } : {}),
        ...(o.stableWindow ? { kpa: { stableWindowMs: parseDuration(o.stableWindow, '--stable-window') } } : {}),
        source: 'cli',
      };
      const r = await ctx.client().request<AutoscalerSpec>('POST', '/v1/autoscalers', spec);
      ctx.out(r, () => `autoscaler ${r.namespace}/${r.name}: ${r.target} by ${r.policy} (${r.metrics.map((m) => `${m.metric}=${m.target}`).join(', ')}), ${r.min}..${r.max} replicas`);
    });

  as.command('ls')
    .description('list autoscalers')
    .option('-n, --namespace <ns>', 'only this namespace')
    .action(async (o: { namespace?: string }) => {
      const { autoscalers } = await ctx.client().request<{ autoscalers: AutoscalerSpec[] }>('GET', `/v1/autoscalers${o.namespace ? `?namespace=${encodeURIComponent(o.namespace)}` : ''}`);
      ctx.out(autoscalers, () =>
        table(autoscalers, [
          { header: 'NAMESPACE', get: (a) => a.namespace },
          { header: 'NAME', get: (a) => a.name },
          { header: 'TARGET', get: (a) => a.target },
          { header: 'POLICY', get: (a) => a.policy },
          { header: 'METRICS', get: (a) => a.metrics.map((m) => `${m.metric}=${m.target}${m.metric === 'cpu' || m.metric === 'memory' ? '%' : ''}`) },
          { header: 'MIN', get: (a) => a.min, align: 'right' },
          { header: 'MAX', get: (a) => a.max, align: 'right' },
          { header: 'SOURCE', get: (a) => a.source },
        ]),
      );
    });

  as.command('events <name>')
    .description('the decision log: time, inputs, desired before/after, reason')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('--limit <n>', 'how many', '50')
    .action(async (name: string, o: { namespace: string; limit: string }) => {
      const { decisions } = await ctx.client().request<{ decisions: Decision[] }>('GET', `/v1/autoscalers/${encodeURIComponent(o.namespace)}/${encodeURIComponent(name)}/decisions?limit=${wholeNumber('--limit', o.limit)}`);
      ctx.out(decisions, () =>
        table(decisions, [
          { header: 'TIME', get: (d) => d.time },
          { header: 'POLICY', get: (d) => d.policy },
          { header: 'REPLICAS', get: (d) => `${d.before} -> ${d.after}` },
          { header: 'REASON', get: (d) => d.reason },
        ]),
      );
    });

  as.command('rm <name>')
    .description('remove an autoscaler (the target keeps its current replicas)')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o: { namespace: string }) => {
      await ctx.client().request('DELETE', `/v1/autoscalers/${encodeURIComponent(o.namespace)}/${encodeURIComponent(name)}`);
      ctx.out({ deleted: `${o.namespace}/${name}` }, () => `autoscaler ${o.namespace}/${name} removed`);
    });
}

