// Resource commands: namespaces, quotas, and `top` (live CPU/memory of the node and workloads).
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { bytes, table } from '../output.js';
import { wholeNumber } from '../numbers.js';
import { InvalidArgument } from '../../kernel/errors.js';
import type { NamespaceInfo } from '../../contracts/scheduler.js';
import { formatCpu, parseCpu, parseMemory } from '../../kernel/quantity.js';
import type { MetricsSnapshot } from '../../contracts/monitor.js';

const limit = (v: number | undefined, used: number, fmt: (n: number) => string): string => (v === undefined ? `${fmt(used)} / -` : `${fmt(used)} / ${fmt(v)}`);
const cpuText = (m: number): string => formatCpu(m);

export function quotaTable(ns: NamespaceInfo[]): string {
  return table(ns, [
    { header: 'NAMESPACE', get: (n) => n.name },
    { header: 'CPU (USED/QUOTA)', get: (n) => limit(n.quota?.cpu, n.used.cpu, cpuText), align: 'right' },
    { header: 'MEMORY (USED/QUOTA)', get: (n) => limit(n.quota?.memory, n.used.memory, bytes), align: 'right' },
    { header: 'WORKLOADS (USED/QUOTA)', get: (n) => limit(n.quota?.workloads, n.used.workloads, String), align: 'right' },
  ]);
}

/** "none" removes a quota field; otherwise a quantity. */
function quotaValue<T>(v: string | undefined, parse: (s: string) => T): T | null | undefined {
  if (v === undefined) return undefined;
  return v === 'none' ? null : parse(v);
}

export function resourceCommands(program: Command, ctx: CliContext): void {
  const ns = program.command('namespace').alias('ns').description('namespaces (tenants): each has an optional quota');
  ns.command('create <name>')
    .description('create a namespace')
    .action(async (name: string) => {
      const n = await ctx.client().request<NamespaceInfo>('POST', '/v1/namespaces', { name });
      ctx.out(n, () => `namespace ${n.name} created`);
    });
  ns.command('ls')
    .description('list namespaces with quota and usage')
    .action(async () => {
      const { namespaces } = await ctx.client().request<{ namespaces: NamespaceInfo[] }>('GET', '/v1/namespaces');
      ctx.out(namespaces, () => quotaTable(namespaces));
    });
  ns.command('rm <name>')
    .description('remove an empty namespace')
    .action(async (name: string) => {
      await ctx.client().request('DELETE', `/v1/namespaces/${encodeURIComponent(name)}`);
      ctx.out({ removed: name }, () => `namespace ${name} removed`);
    });

  const quota = program.command('quota').description('namespace quotas on CPU, memory (sums of requests) and workload count');
  quota
    .command('set <namespace>')
    .description('set quota fields; "none" removes a limit')
    .option('--cpu <cores>', 'CPU, e.g. 2, 0.5 or 500m')
    .option('--memory <bytes>', 'memory, e.g. 1Gi or 512Mi')
    .option('--workloads <n>', 'number of workloads')
    .action(async (name: string, o: { cpu?: string; memory?: string; workloads?: string }) => {
      const body = {
        cpu: quotaValue(o.cpu, parseCpu),
        memory: quotaValue(o.memory, parseMemory),
        workloads: quotaValue(o.workloads, (s) => wholeNumber('--workloads', s)),
      };
      if (Object.values(body).every((v) => v === undefined)) throw new InvalidArgument('give at least one of --cpu, --memory, --workloads');
      const n = await ctx.client().request<NamespaceInfo>('PUT', `/v1/namespaces/${encodeURIComponent(name)}/quota`, body);
      ctx.out(n, () => quotaTable([n]));
    });
  quota
    .command('ls')
    .description('quota and usage of every namespace')
    .action(async () => {
      const { quotas } = await ctx.client().request<{ quotas: NamespaceInfo[] }>('GET', '/v1/quotas');
      ctx.out(quotas, () => quotaTable(quotas));
    });

  program
    .command('top')
    .description('live CPU, memory and PIDs of the node and each running workload (refreshing; q or Ctrl-C quits)')
    .option('-n, --namespace <ns>', 'only workloads of this namespace')
    .option('--interval <seconds>', 'refresh interval', '2')
    .option('--once', 'print one sample and exit (also when output is not a terminal, or with --json)')
    .action(async (o: { namespace?: string; interval: string; once?: boolean }) => {
      const every = Number(o.interval);
      if (!(every >= 0.5)) throw new InvalidArgument('--interval must be at least 0.5 seconds');
      const fetchOnce = async (refresh: boolean) => {
        const s = await ctx.client().request<MetricsSnapshot>('GET', `/v1/metrics${refresh ? '?refresh=true' : ''}`);
        return o.namespace ? { ...s, workloads: s.workloads.filter((w) => w.namespace === o.namespace) } : s;
      };
      if (o.once || ctx.json() || !process.stdout.isTTY) {
        const s = await fetchOnce(true);
        ctx.out(s, () => renderTop(s));
        return;
      }
      // Live: redraw in place until q / Ctrl-C.
      const ac = new AbortController();
      const quit = () => ac.abort();
      process.once('SIGINT', quit);
      if (process.stdin.isTTY) {
        process.stdin.setRawMode(true);
        process.stdin.resume();
        process.stdin.on('data', (d: Buffer) => (d[0] === 0x71 || d[0] === 0x03) && quit());
      }
      try {
        while (!ac.signal.aborted) {
          const s = await fetchOnce(true);
          process.stdout.write('\x1b[H\x1b[2J' + renderTop(s) + `\n\n(refreshing every ${every}s; q to quit)\n`);
          await new Promise((r) => {
            const t = setTimeout(r, every * 1000);
            ac.signal.addEventListener('abort', () => (clearTimeout(t), r(undefined)), { once: true });
          });
        }
      } finally {
        process.removeListener('SIGINT', quit);
        if (process.stdin.isTTY) {
          process.stdin.setRawMode(false);
          process.stdin.pause();
        }
      }
    });
}

export function renderTop(s: MetricsSnapshot): string {
  const n = s.node;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const head = [
    `node  cpu ${pct(n.cpuBusy)} of ${n.cpus} CPUs   memory ${bytes(n.memTotal - n.memAvailable)} / ${bytes(n.memTotal)} used (${bytes(n.memAvailable)} available)   disk ${bytes(n.diskSize - n.diskAvail)} / ${bytes(n.diskSize)}, data dir ${n.dataDir} ${bytes(n.dataDirBytes)}`,
    `      ${s.workloads.length} running workload(s), sampled ${s.time}`,
    '',
  ];
  return (
    head.join('\n') +
    table(s.workloads, [
      { header: 'NAME', get: (w) => w.name },
      { header: 'NAMESPACE', get: (w) => w.namespace },
      { header: 'QOS', get: (w) => w.qos },
      { header: 'CPU', get: (w) => `${(w.cpuCores * 100).toFixed(1)}%`, align: 'right' },
      { header: 'MEMORY', get: (w) => bytes(w.memoryUsage), align: 'right' },
      { header: 'PEAK', get: (w) => bytes(w.memoryPeak), align: 'right' },
      { header: 'LIMIT', get: (w) => (w.memoryLimit === undefined ? '-' : bytes(w.memoryLimit)), align: 'right' },
      { header: 'PIDS', get: (w) => w.pids, align: 'right' },
      { header: 'OOM', get: (w) => w.oomKills, align: 'right' },
    ])
  );
}
