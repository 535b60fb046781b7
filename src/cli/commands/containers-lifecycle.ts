// Docker's life-cycle commands on top of the containers API: create, start, restart, port.
import type { Command } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { CliError } from '../client.js';
import type { CliContext } from '../context.js';
import type { ContainerInfo, PortMapping } from '../../contracts/containers.js';
import { buildRunSpec, ownFlagsCommand, parseRestart } from './run-flags.js';
import { dockerMemory } from './run-flags-docker.js';
import { table } from '../output.js';

/** Docker's `port` lines: "80/tcp -> 0.0.0.0:8080". */
export function portLines(ports: readonly PortMapping[], filter?: string): string[] {
  const [num, proto] = (filter ?? '').split('/');
  return ports
    .filter((p) => !filter || (p.containerPort === Number(num) && (!proto || p.protocol === proto)))
    .map((p) => (filter ? '' : `${p.containerPort}/${p.protocol} -> `) + `${p.hostIp || '0.0.0.0'}:${p.hostPort}`);
}

export function lifecycleCommands(program: Command, ctx: CliContext): void {
  const enc = encodeURIComponent;

  ownFlagsCommand(program, 'create', 'create a container without starting it (the flags of llmos run)')
    .action(async (args: string[]) => {
      const { spec, cidfile, detach, where } = buildRunSpec(args);
      if (detach) throw new CliError('create does not take -d (the container is not started)');
      if (cidfile && existsSync(cidfile)) throw new CliError(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
      const c = await ctx.client().request<ContainerInfo>('POST', `/v1/containers${where ? `?${where}` : ''}`, spec);
      if (cidfile) writeFileSync(cidfile, c.id);
      ctx.out(c, () => c.id);
    });

  program
    .command('start <containers...>')
    .description('start created or stopped containers')
    .action(async (names: string[]) => {
      const out: ContainerInfo[] = [];
      for (const n of names) out.push(await ctx.client().request<ContainerInfo>('POST', `/v1/containers/${enc(n)}/start`));
      ctx.out(out, () => names.join('\n'));
    });

  program
    .command('restart <containers...>')
    .description('stop (the stop signal, then KILL after the grace period) and start again')
    .option('-t, --time <seconds>', 'grace period before KILL')
    .action(async (names: string[], o: { time?: string }) => {
      if (o.time !== undefined && !/^\d+$/.test(o.time)) throw new CliError(`invalid --time ${JSON.stringify(o.time)}: expected seconds`);
      const out: ContainerInfo[] = [];
      for (const n of names) {
        await ctx.client().request('POST', `/v1/containers/${enc(n)}/stop${o.time !== undefined ? `?timeout=${o.time}` : ''}`);
        out.push(await ctx.client().request<ContainerInfo>('POST', `/v1/containers/${enc(n)}/start`));
      }
      ctx.out(out, () => names.join('\n'));
    });

  program
    .command('port <container> [port]')
    .description('published ports of a container (or where one container port is published)')
    .action(async (name: string, port?: string) => {
      if (port !== undefined && !/^\d{1,5}(\/(tcp|udp))?$/.test(port)) throw new CliError(`invalid port ${JSON.stringify(port)}: use PORT[/tcp|udp]`);
      const c = await ctx.client().request<ContainerInfo>('GET', `/v1/containers/${enc(name)}`);
      const lines = c.state === 'running' ? portLines(c.ports, port) : [];
      if (port !== undefined && !lines.length) throw new CliError(`no public port '${port}' published for ${name}`);
      ctx.out(c.ports, () => lines.join('\n'));
    });

  for (const [cmd, what] of [['pause', 'freeze the processes of containers (freezer cgroup)'], ['unpause', 'thaw paused containers']] as const)
    program
      .command(`${cmd} <containers...>`)
      .description(what)
      .action(async (names: string[]) => {
        for (const n of names) await ctx.client().request('POST', `/v1/containers/${enc(n)}/${cmd}`);
        ctx.out(names, () => names.join('\n'));
      });

  program
    .command('rename <container> <name>')
    .description('rename a container')
    .action(async (name: string, to: string) => {
      const c = await ctx.client().request<ContainerInfo>('POST', `/v1/containers/${enc(name)}/rename?name=${enc(to)}`);
      ctx.out(c, () => '');
    });

  // `llmos top` is the node's live view (resources.ts): a container's processes are `llmos container top`, as `docker container top`.
  program
    .command('container')
    .description('container subcommands: top')
    .command('top <container>')
    .description('the processes of a running container')
    .action(async (name: string) => {
      const t = await ctx.client().request<{ titles: string[]; processes: string[][] }>('GET', `/v1/containers/${enc(name)}/top`);
      ctx.out(t, () => table(t.processes, t.titles.map((h, i) => ({ header: h, get: (p: string[]) => p[i] }))));
    });

  program
    .command('update <containers...>')
    .description('change limits of containers (at once when running, and for the next start)')
    .option('--cpus <n>', 'CPU limit in cores')
    .option('-m, --memory <size>', 'memory limit (binary units: 64m = 64 MiB)')
    .option('--memory-swap <size>', 'memory plus swap (-1: unlimited)')
    .option('--pids-limit <n>', 'maximum number of processes')
    .option('-c, --cpu-shares <n>', 'relative CPU weight')
    .option('--restart <policy>', 'no, on-failure[:N] or always')
    .action(async (names: string[], o: { cpus?: string; memory?: string; memorySwap?: string; pidsLimit?: string; cpuShares?: string; restart?: string }) => {
      const num = (s: string, flag: string) => {
        const n = Number(s);
        if (!Number.isFinite(n)) throw new CliError(`invalid ${flag} ${JSON.stringify(s)}: expected a number`);
        return n;
      };
      const limits = {
        ...(o.cpus !== undefined ? { cpus: num(o.cpus, '--cpus') } : {}),
        ...(o.memory !== undefined ? { memory: dockerMemory(o.memory, '--memory') } : {}),
        ...(o.memorySwap !== undefined ? { memorySwap: o.memorySwap === '-1' ? -1 : dockerMemory(o.memorySwap, '--memory-swap') } : {}),
        ...(o.pidsLimit !== undefined ? { pidsLimit: num(o.pidsLimit, '--pids-limit') } : {}),
        ...(o.cpuShares !== undefined ? { cpuShares: num(o.cpuShares, '--cpu-shares') } : {}),
        ...(o.restart !== undefined ? { restart: parseRestart(o.restart) } : {}),
      };
      if (!Object.keys(limits).length) throw new CliError('update needs at least one of --cpus, --memory, --memory-swap, --pids-limit, --cpu-shares, --restart');
      for (const n of names) await ctx.client().request('POST', `/v1/containers/${enc(n)}/update`, limits);
      ctx.out(names, () => names.join('\n'));
    });
}
