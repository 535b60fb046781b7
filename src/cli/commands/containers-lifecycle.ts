// Docker's life-cycle commands on top of the containers API: create, start, restart, port.
import type { Command } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { CliError } from '../client.js';
import type { CliContext } from '../context.js';
import type { ContainerInfo, PortMapping } from '../../contracts/containers.js';
import { buildRunSpec } from './run-flags.js';

/** The subcommand's arguments from the raw argv: what follows `name`, after the global options. */
function rawArgsAfter(program: Command, name: string): string[] {
  const raw = (program as unknown as { rawArgs: string[] }).rawArgs.slice(2);
  const valued = new Set(['--host', '--data-dir', '--token', '-o', '--output']);
  let i = 0;
  while (i < raw.length && raw[i]!.startsWith('-')) i += valued.has(raw[i]!) ? 2 : 1;
  if (raw[i] !== name) throw new CliError(`cannot find the ${name} arguments`);
  return raw.slice(i + 1);
}

/** Docker's `port` lines: "80/tcp -> 0.0.0.0:8080". */
export function portLines(ports: readonly PortMapping[], filter?: string): string[] {
  const [num, proto] = (filter ?? '').split('/');
  return ports
    .filter((p) => !filter || (p.containerPort === Number(num) && (!proto || p.protocol === proto)))
    .map((p) => (filter ? '' : `${p.containerPort}/${p.protocol} -> `) + `${p.hostIp || '0.0.0.0'}:${p.hostPort}`);
}

export function lifecycleCommands(program: Command, ctx: CliContext): void {
  const enc = encodeURIComponent;

  program
    .command('create')
    .description('create a container without starting it (the flags of llmos run)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async () => {
      const { spec, cidfile, detach } = buildRunSpec(rawArgsAfter(program, 'create'));
      if (detach) throw new CliError('create does not take -d (the container is not started)');
      if (cidfile && existsSync(cidfile)) throw new CliError(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
      const c = await ctx.client().request<ContainerInfo>('POST', '/v1/containers', spec);
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
}
