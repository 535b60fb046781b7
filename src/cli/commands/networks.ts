// `llmos network create|ls|inspect|rm|prune|connect|disconnect`: user-defined bridge networks, as Docker's.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ago, table } from '../output.js';
import type { UserNetworkInfo } from '../../contracts/user-networks.js';
import { CliError } from '../client.js';

function labelsOf(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf('=');
    if (i < 1) throw new CliError(`invalid --label ${JSON.stringify(l)}: use KEY=VALUE`);
    out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

export function networkCommands(program: Command, ctx: CliContext): void {
  const enc = encodeURIComponent;
  const net = program.command('network').description('user-defined networks (own bridge and subnet; containers on one resolve each other by name)');
  net
    .command('create <name>')
    .description('create a network (a free /24 of 10.90.0.0/16 unless --subnet is given)')
    .option('--subnet <cidr>', 'its subnet, e.g. 10.91.3.0/24')
    .option('--gateway <ip>', 'its gateway (default: the first address of the subnet)')
    .option('--internal', 'no route out of the network')
    .option('-d, --driver <driver>', 'only bridge (accepted for Docker habits)')
    .option('-l, --label <k=v>', 'set a label (repeatable)', collect)
    .action(async (name: string, o: { subnet?: string; gateway?: string; internal?: boolean; driver?: string; label?: string[] }) => {
      if (o.driver && o.driver !== 'bridge') throw new CliError(`--driver ${o.driver}: only bridge networks are supported`);
      const labels = labelsOf(o.label);
      const n = await ctx.client().request<UserNetworkInfo>('POST', '/v1/networks', { name, ...(o.subnet ? { subnet: o.subnet } : {}), ...(o.gateway ? { gateway: o.gateway } : {}), ...(o.internal ? { internal: true } : {}), ...(labels ? { labels } : {}) });
      ctx.out(n, () => n.id);
    });
  net
    .command('ls')
    .alias('list')
    .description('list networks')
    .option('-q, --quiet', 'only ids')
    .action(async (o: { quiet?: boolean }) => {
      const { networks } = await ctx.client().request<{ networks: UserNetworkInfo[] }>('GET', '/v1/networks');
      ctx.out(networks, () =>
        o.quiet
          ? networks.map((n) => n.id.slice(0, 12)).join('\n')
          : table(networks, [
              { header: 'NETWORK ID', get: (n) => n.id.slice(0, 12) },
              { header: 'NAME', get: (n) => n.name },
              { header: 'SUBNET', get: (n) => n.subnet },
              { header: 'INTERNAL', get: (n) => (n.internal ? 'yes' : '') },
              { header: 'CONTAINERS', get: (n) => String(Object.keys(n.containers).length) },
              { header: 'CREATED', get: (n) => ago(n.createdAt) },
            ]),
      );
    });
  net
    .command('inspect <names...>')
    .description('details of networks, as JSON')
    .action(async (names: string[]) => {
      const out: UserNetworkInfo[] = [];
      for (const n of names) out.push(await ctx.client().request<UserNetworkInfo>('GET', `/v1/networks/${enc(n)}`));
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    });
  net
    .command('rm <names...>')
    .alias('remove')
    .description('remove networks (refused while containers are attached)')
    .action(async (names: string[]) => {
      for (const n of names) await ctx.client().request('DELETE', `/v1/networks/${enc(n)}`);
      ctx.out({ removed: names }, () => names.join('\n'));
    });
  net
    .command('prune')
    .description('remove every network no container is attached to')
    .option('-f, --force', 'do not ask (there is no prompt; accepted for Docker habits)')
    .action(async () => {
      const r = await ctx.client().request<{ removed: string[] }>('POST', '/v1/networks/prune');
      ctx.out(r, () => (r.removed.length ? `Deleted Networks:\n${r.removed.join('\n')}` : ''));
    });
  net
    .command('connect <network> <container>')
    .description('connect a running container to a network')
    .option('--alias <name>', 'another DNS name of the container on that network (repeatable)', collect)
    .action(async (network: string, container: string, o: { alias?: string[] }) => {
      const n = await ctx.client().request<UserNetworkInfo>('POST', `/v1/networks/${enc(network)}/connect`, { container, ...(o.alias ? { aliases: o.alias } : {}) });
      ctx.out(n, () => '');
    });
  net
    .command('disconnect <network> <container>')
    .description('disconnect a container from a network')
    .action(async (network: string, container: string) => {
      const n = await ctx.client().request<UserNetworkInfo>('POST', `/v1/networks/${enc(network)}/disconnect`, { container });
      ctx.out(n, () => '');
    });
}
