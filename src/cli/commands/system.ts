// Kernel commands: up, status, modules, events.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { bytes, table } from '../output.js';
import type { DaemonEntry, KernelStatus, LlmosEvent, ModuleStatus } from '../../contracts/system.js';

export function systemCommands(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('start the LLMOS daemon in the foreground')
    .option('--data-dir <dir>', 'data directory (env LLMOS_DATA_DIR; default /var/lib/llmos as root)')
    .option('--listen <addr>', 'API address HOST:PORT (env LLMOS_LISTEN; default 127.0.0.1:7070)')
    .option('--gateway <addr>', 'function gateway address HOST:PORT (env LLMOS_GATEWAY; default 127.0.0.1:8080)')
    .option('--docker-socket <path>', 'Docker Engine API socket (env LLMOS_DOCKER_SOCKET; default /run/llmos/docker.sock with the default data dir, else in its module dir under DATA_DIR)')
    .option('--log-level <level>', 'terminal log level', 'info')
    .option('--profile <name>', 'full (default) or edge: no dashboard (env LLMOS_PROFILE)')
    .option('--store <url>', 'state store: sqlite (default) or etcd://HOST:PORT[,HOST:PORT...] (env LLMOS_STORE)')
    .option('--join <url>', 'run as a node agent of the server at this URL (https://SERVER:7070)')
    .option('--token <token>', 'with --join: the join token from `llmos token create` on the server')
    .option('--node-name <name>', 'with --join: this node\'s name (default: the host name)')
    .option('--mqtt-url <url>', 'IoT: use this MQTT broker (mqtt[s]://USER:PASS@HOST:PORT) instead of a managed mosquitto')
    .option('--node-label <k=v>', 'with --join: a node label, repeatable (llmos.io/cloud=public, llmos.io/zone=z1)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--node-grace <d>', 'server: a node whose lease is not renewed this long is NotReady (default 40s)')
    .option('--eviction-timeout <d>', 'server: a node NotReady this long has its service replicas replaced on other nodes (default 300s; per service --tolerate-unreachable)')
    .action(async (o: { nodeGrace?: string; evictionTimeout?: string; dataDir?: string; listen?: string; gateway?: string; dockerSocket?: string; logLevel?: string; profile?: string; store?: string; join?: string; token?: string; nodeName?: string; nodeLabel?: string[]; mqttUrl?: string }, cmd: Command) => {
      // The bundled daemon (scripts/bundle-daemon.mjs) boots faster than the module tree.
      const { runDaemon } = (await import(new URL('../../../daemon.mjs', import.meta.url).href)) as DaemonEntry;
      const g = cmd.optsWithGlobals<{ dataDir?: string }>();
      const nodeLabels = Object.fromEntries((o.nodeLabel ?? []).map((kv) => (kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : [kv, ''])));
      await runDaemon({ dataDir: o.dataDir ?? g.dataDir, listen: o.listen, gateway: o.gateway, dockerSocket: o.dockerSocket, logLevel: o.logLevel, profile: o.profile, store: o.store, join: o.join, joinToken: o.token, nodeName: o.nodeName, nodeLabels, mqttUrl: o.mqttUrl, nodeGrace: o.nodeGrace, evictionTimeout: o.evictionTimeout });
    });

  program
    .command('status')
    .description('node capacity, host probe, boot timeline and modules')
    .action(async () => {
      const s = await ctx.client().request<KernelStatus>('GET', '/v1/status');
      ctx.out(s, () => {
        const h = s.host;
        const lines = [
          `LLMOS ${s.version}, up ${s.uptimeSeconds}s, data ${s.dataDir}`,
          '',
          'NODE',
          table(
            [
              { r: 'cpu', cap: `${s.node.capacity.cpu}m`, res: `${s.node.reserved.cpu}m`, alloc: `${s.node.allocatable.cpu}m`, used: `${s.node.allocated.cpu}m` },
              { r: 'memory', cap: bytes(s.node.capacity.memory), res: bytes(s.node.reserved.memory), alloc: bytes(s.node.allocatable.memory), used: bytes(s.node.allocated.memory) },
            ],
            [
              { header: 'RESOURCE', get: (x) => x.r },
              { header: 'CAPACITY', get: (x) => x.cap, align: 'right' },
              { header: 'RESERVED', get: (x) => x.res, align: 'right' },
              { header: 'ALLOCATABLE', get: (x) => x.alloc, align: 'right' },
              { header: 'ALLOCATED', get: (x) => x.used, align: 'right' },
            ],
          ),
        ];
        if (h) {
          lines.push('', 'HOST');
          const bins = Object.entries(h.binaries).map(([n, b]) => `${n} ${b.version ?? (b.path ? '?' : 'absent')}`);
          lines.push(
            table(
              [
                ['kernel', `${h.kernel} (${h.arch})`],
                ['cgroup', `${h.cgroup.version}: ${h.cgroup.controllers.join(' ') || '-'}`],
                ['namespaces', h.namespaces.join(' ')],
                ['overlayfs', h.overlayfs ? 'yes' : 'no'],
                ['binaries', bins.join(', ')],
                ['cni', h.cni.dir ? `${h.cni.dir} (${h.cni.plugins.length} plugins)` : 'absent'],
              ],
              [
                { header: 'PROBE', get: (x) => x[0] },
                { header: 'RESULT', get: (x) => x[1] },
              ],
            ),
          );
        }
        lines.push('', `BOOT (${s.boot.totalMs.toFixed(1)} ms since process start)`);
        lines.push(
          table(s.boot.stages, [
            { header: 'STAGE', get: (x) => x.stage },
            { header: 'START', get: (x) => `${x.startMs.toFixed(1)}ms`, align: 'right' },
            { header: 'DURATION', get: (x) => `${x.durationMs.toFixed(1)}ms`, align: 'right' },
            { header: 'DETAIL', get: (x) => x.detail },
          ]),
        );
        lines.push('', 'MODULES', moduleTable(s.modules));
        return lines.join('\n');
      });
    });

  const modules = program
    .command('modules')
    .description('list modules with kind, state and dependencies')
    .action(async () => {
      const { modules: ms } = await ctx.client().request<{ modules: ModuleStatus[] }>('GET', '/v1/modules');
      ctx.out(ms, () => moduleTable(ms));
    });
  for (const verb of ['load', 'unload'] as const) {
    modules
      .command(`${verb} <name>`)
      .description(`${verb} a module at run time`)
      .action(async (name: string) => {
        const m = await ctx.client().request<ModuleStatus>('POST', `/v1/modules/${encodeURIComponent(name)}/${verb}`);
        ctx.out(m, () => `module ${m.name}: ${m.state}`);
      });
  }

  program
    .command('events')
    .description('recent events (actions, state changes, decisions)')
    .option('-f, --follow', 'keep streaming new events')
    .option('--prefix <topic>', 'only topics starting with this, e.g. /containers')
    .option('--subject <kind/name>', 'only events about this object, e.g. service/web')
    .option('--limit <n>', 'how many recent events', '100')
    .action(async (o: { follow?: boolean; prefix?: string; subject?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.prefix ? { prefix: o.prefix } : {}), ...(o.subject ? { subject: o.subject } : {}) });
      const line = (e: LlmosEvent) => (ctx.json() ? JSON.stringify(e) : `${e.time}  ${e.topic.padEnd(22)} ${e.message}`);
      if (o.follow) {
        q.set('follow', 'true');
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        await ctx.client().stream(`/v1/events?${q}`, (_ev, data) => process.stdout.write(line(data as LlmosEvent) + '\n'), ac.signal);
        return;
      }
      const { events } = await ctx.client().request<{ events: LlmosEvent[] }>('GET', `/v1/events?${q}`);
      ctx.out(events, () => events.map(line).join('\n'));
    });
}

export function moduleTable(ms: ModuleStatus[]): string {
  return table(ms, [
    { header: 'NAME', get: (m) => m.name },
    { header: 'KIND', get: (m) => m.kind },
    { header: 'STATE', get: (m) => (m.required ? `${m.state}*` : m.state) },
    { header: 'INIT', get: (m) => (m.initMs !== undefined ? `${m.initMs.toFixed(1)}ms` : '-'), align: 'right' },
    { header: 'REQUIRES', get: (m) => m.requires.map((k) => k.split('.').slice(1, -1).join('.')) },
    { header: 'REASON', get: (m) => m.reason },
  ]);
}

