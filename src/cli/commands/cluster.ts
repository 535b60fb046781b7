// Cluster commands: `llmos token create|ls|rm` (join tokens), `llmos nodes`, and
// `llmos node inspect|label|taint|cordon|uncordon|rm`.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ago, bytes, table } from '../output.js';
import { CliError } from '../client.js';
import type { NodePatch, NodeView, TokenCreated, TokenInfo } from '../../contracts/cluster.js';
import { parseDuration } from '../../kernel/quantity.js';

const enc = encodeURIComponent;

function statusOf(n: NodeView): string {
  return n.unschedulable ? `${n.status},SchedulingDisabled${n.draining ? ',Draining' : ''}` : n.status;
}

function nodesTable(nodes: NodeView[]): string {
  return table(nodes, [
    { header: 'NAME', get: (n) => n.name },
    { header: 'STATUS', get: (n) => statusOf(n) },
    { header: 'ROLES', get: (n) => n.roles.join(',') },
    { header: 'ZONE', get: (n) => n.zone },
    { header: 'CLOUD', get: (n) => n.cloud },
    { header: 'CPU (ALLOC/ALLOCATABLE)', get: (n) => `${n.allocated.cpu}m/${n.allocatable.cpu}m` },
    { header: 'MEMORY', get: (n) => `${bytes(n.allocated.memory)}/${bytes(n.allocatable.memory)}` },
    { header: 'WORKLOADS', get: (n) => String(n.workloads) },
    { header: 'VERSION', get: (n) => n.agentVersion },
    { header: 'HEARTBEAT', get: (n) => (n.lastHeartbeat ? ago(n.lastHeartbeat) : '-') },
  ]);
}

/** `k=v` sets, `k-` removes (kubectl's label syntax). */
export function parseLabelArgs(args: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const a of args) {
    if (a.endsWith('-') && !a.includes('=')) out[a.slice(0, -1)] = null;
    else if (a.indexOf('=') > 0) out[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
    else throw new CliError(`invalid label ${JSON.stringify(a)}: use KEY=VALUE to set or KEY- to remove`);
  }
  return out;
}

/** `key[=value]:Effect` adds, `key-` removes (kubectl's taint syntax). */
export function parseTaintArgs(args: string[]): Pick<NodePatch, 'addTaints' | 'removeTaints'> {
  const addTaints: NonNullable<NodePatch['addTaints']> = [];
  const removeTaints: string[] = [];
  for (const a of args) {
    if (a.endsWith('-')) {
      removeTaints.push(a.slice(0, -1).replace(/[:=].*$/, ''));
      continue;
    }
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(a);
    if (!m) throw new CliError(`invalid taint ${JSON.stringify(a)}: use KEY[=VALUE]:NoSchedule|PreferNoSchedule|NoExecute, or KEY- to remove`);
    addTaints.push({ key: m[1]!, ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] as 'NoSchedule' });
  }
  return { ...(addTaints.length ? { addTaints } : {}), ...(removeTaints.length ? { removeTaints } : {}) };
}

export function clusterCommands(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('join tokens for node agents (`llmos up --join URL --token T`)');
  token
    .command('create')
    .description('create a join token; it is printed alone on the last line')
    .option('--ttl <duration>', 'how long the token is valid (e.g. 30m, 24h, 7d)', '24h')
    .option('--description <text>', 'what the token is for')
    .action(async (o: { ttl: string; description?: string }) => {
      let ms: number;
      try {
        ms = parseDuration(o.ttl, '--ttl');
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      if (ms < 1000) throw new CliError('--ttl must be at least 1s');
      const t = await ctx.client().request<TokenCreated>('POST', '/v1/cluster/tokens', { ttlSeconds: Math.round(ms / 1000), ...(o.description ? { description: o.description } : {}) });
      ctx.out(t, () => `token ${t.id}, expires ${t.expiresAt}\n${t.token}`);
    });
  token
    .command('ls')
    .alias('list')
    .description('list join tokens (their secrets are not kept)')
    .action(async () => {
      const { tokens } = await ctx.client().request<{ tokens: TokenInfo[] }>('GET', '/v1/cluster/tokens');
      ctx.out(tokens, () => table(tokens, [
        { header: 'ID', get: (t) => t.id },
        { header: 'CREATED', get: (t) => ago(t.createdAt) },
        { header: 'EXPIRES', get: (t) => (t.expired ? 'expired' : t.expiresAt) },
        { header: 'DESCRIPTION', get: (t) => t.description },
      ]));
    });
  token
    .command('rm <ids...>')
    .alias('delete')
    .description('delete join tokens (nodes that joined with them stay)')
    .action(async (ids: string[]) => {
      for (const id of ids) await ctx.client().request('DELETE', `/v1/cluster/tokens/${enc(id)}`);
      ctx.out({ removed: ids }, () => ids.join('\n'));
    });

  program
    .command('nodes')
    .description('the cluster\'s nodes: status, roles, zone, capacity and use, last heartbeat')
    .action(async () => {
      const { nodes } = await ctx.client().request<{ nodes: NodeView[] }>('GET', '/v1/nodes');
      ctx.out(nodes, () => (nodes.length ? nodesTable(nodes) : 'no nodes have joined (see llmos token create)'));
    });

  const node = program.command('node').description('one node of the cluster');
  const patch = async (name: string, body: NodePatch) => {
    const n = await ctx.client().request<NodeView>('PATCH', `/v1/nodes/${enc(name)}`, body);
    ctx.out(n, () => `${n.name} ${statusOf(n)}`);
  };
  node.command('inspect <names...>').description('details of nodes, as JSON').action(async (names: string[]) => {
    const out: NodeView[] = [];
    for (const n of names) out.push(await ctx.client().request<NodeView>('GET', `/v1/nodes/${enc(n)}`));
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  });
  node.command('label <name> <labels...>').description('set (k=v) or remove (k-) node labels').action((name: string, labels: string[]) => patch(name, { labels: parseLabelArgs(labels) }));
  node.command('taint <name> <taints...>').description('add (key[=value]:Effect) or remove (key-) taints').action((name: string, taints: string[]) => patch(name, parseTaintArgs(taints)));
  node.command('cordon <name>').description('place no new workloads on the node').action((name: string) => patch(name, { unschedulable: true }));
  node.command('uncordon <name>').description('place workloads on the node again').action((name: string) => patch(name, { unschedulable: false }));
  node
    .command('drain <name>')
    .description('cordon the node and move its service replicas to other nodes (one at a time: a new one is ready before an old one stops)')
    .option('--timeout <duration>', 'how long to wait for the replicas to move', '5m')
    .action(async (name: string, o: { timeout: string }) => {
      const ms = parseDuration(o.timeout);
      await ctx.client().request<NodeView>('PATCH', `/v1/nodes/${enc(name)}`, { draining: true } satisfies NodePatch);
      const deadline = Date.now() + ms;
      // Service replicas on the node, as the server lists them (owner service/NAME).
      const left = async () => (await ctx.client().request<{ containers: Array<{ name: string; owner?: string }> }>('GET', `/v1/containers?all=true&node=${enc(name)}`)).containers.filter((c) => c.owner?.startsWith('cluster/service/'));
      let rest = await left();
      while (rest.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        rest = await left();
      }
      if (rest.length) throw new CliError(`node ${name} is cordoned but ${rest.length} service replica(s) did not move within ${o.timeout}: ${rest.map((c) => c.name).join(', ')}`);
      ctx.out({ drained: name }, () => `node ${name} drained`);
    });
  node
    .command('rm <names...>')
    .alias('delete')
    .description('remove nodes (their agents must join again; frees the name for another machine)')
    .action(async (names: string[]) => {
      for (const n of names) await ctx.client().request('DELETE', `/v1/nodes/${enc(n)}`);
      ctx.out({ removed: names }, () => names.join('\n'));
    });
}
