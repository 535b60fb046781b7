// Service commands (`service ...`, `scale`) and declarative `apply` / `delete`.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../client.js';
import type { CliContext } from '../context.js';
import { wholeNumber, wholeNumberFlag } from '../numbers.js';
import { ago, bytes, table } from '../output.js';
import { splitDocuments } from '../../contracts/manifest.js';
import { parseCpu, parseMemory } from '../../kernel/quantity.js';
import type { ApplyOutcome, ServiceLogLine, ServiceStatus } from '../../contracts/services.js';
import { formatPlacement, parsePlacement } from '../../contracts/placement.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** A quantity flag checked here, so a typo is one line before any request. */
function cliQuantity(parse: () => number): number {
  try {
    return parse();
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** "8080:80", "8080:80/tcp", "80" (container port only). */
export function parsePublish(v: string): { containerPort: number; hostPort?: number; protocol: 'http' | 'tcp' } {
  const m = /^(?:(\d{1,5}):)?(\d{1,5})(?:\/(http|tcp))?$/.exec(v);
  const ok = (n: number) => n >= 1 && n <= 65535;
  if (!m || !ok(Number(m[2])) || (m[1] && !ok(Number(m[1])))) throw new CliError(`-p ${v}: expected HOSTPORT:CONTAINERPORT[/http|tcp] with ports from 1 to 65535`);
  return { containerPort: Number(m[2]), ...(m[1] ? { hostPort: Number(m[1]) } : {}), protocol: (m[3] as 'http' | 'tcp' | undefined) ?? 'http' };
}

export function parseEnv(vs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vs) {
    const i = v.indexOf('=');
    if (i <= 0) throw new CliError(`-e ${v}: expected KEY=VALUE`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}


function ports(s: ServiceStatus): string {
  const eps = s.endpoints.map((e) => `${e.hostPort}->${e.containerPort}/${e.protocol}${e.error ? ' (!)' : ''}`);
  return eps.join(',') || '-';
}

function rollout(s: ServiceStatus): string {
  const r = s.rollout;
  if (!r) return '-';
  return r.phase;
}

export function serviceTable(ss: ServiceStatus[]): string {
  return table(ss, [
    { header: 'NAME', get: (s) => (s.namespace === 'default' ? s.name : `${s.namespace}/${s.name}`) },
    { header: 'IMAGE', get: (s) => s.spec.template.image },
    { header: 'READY', get: (s) => `${s.readyReplicas}/${s.spec.replicas}`, align: 'right' },
    { header: 'PORTS', get: ports },
    { header: 'ROLLOUT', get: rollout },
    { header: 'SOURCE', get: (s) => s.source },
    { header: 'AGE', get: (s) => ago(s.createdAt).replace(' ago', '') },
  ]);
}

function inspectText(s: ServiceStatus): string {
  const t = s.spec.template;
  const probe = (p: typeof t.readinessProbe) =>
    p ? `${p.exec ? `exec ${JSON.stringify(p.exec.command)}` : p.httpGet ? `http GET :${p.httpGet.port}${p.httpGet.path}` : `tcp :${p.tcpSocket?.port}`} every ${p.periodSeconds}s (delay ${p.initialDelaySeconds}s, timeout ${p.timeoutSeconds}s, success ${p.successThreshold}, failure ${p.failureThreshold})` : '-';
  const rows: Array<[string, unknown]> = [
    ['name', s.name],
    ['namespace', s.namespace],
    ['image', t.image],
    ['command', t.command ? JSON.stringify(t.command) : '-'],
    ['args', t.args ? JSON.stringify(t.args) : '-'],
    ['replicas', `${s.readyReplicas} ready / ${s.spec.replicas} desired (${s.currentReplicas} current)`],
    ['resources', `cpus ${t.cpus ?? '-'}, memory ${t.memory ? bytes(t.memory) : '-'}, requests cpu ${t.requests?.cpu ?? '-'} memory ${t.requests?.memory ? bytes(t.requests.memory) : '-'}`],
    ['env', Object.keys(t.env).length ? Object.entries(t.env).map(([k, v]) => `${k}=${v}`).join(' ') : '-'],
    ['readiness', probe(t.readinessProbe)],
    ['liveness', probe(t.livenessProbe)],
    ['autoscale', s.spec.autoscale ? `${s.spec.autoscale.min}..${s.spec.autoscale.max}` : '-'],
    ['placement', s.spec.placement ? formatPlacement(s.spec.placement) : '-'],
    ['template', `${s.templateHash} (generation ${s.generation})`],
    ['rollout', s.rollout ? `${s.rollout.phase}${s.rollout.reason ? `: ${s.rollout.reason}` : ''}` : '-'],
    ['source', s.source],
  ];
  const out = [table(rows, [
    { header: 'FIELD', get: (r) => r[0] },
    { header: 'VALUE', get: (r) => r[1] },
  ])];
  out.push('', 'ENDPOINTS');
  out.push(
    s.endpoints.length
      ? table(s.endpoints, [
          { header: 'HOST PORT', get: (e) => e.hostPort, align: 'right' },
          { header: 'ADDRESSES', get: (e) => e.addresses },
          { header: 'TARGET', get: (e) => `${e.containerPort}/${e.protocol}` },
          { header: 'VIA', get: (e) => e.via },
          { header: 'ERROR', get: (e) => e.error },
        ])
      : '(no host ports)',
  );
  if (s.network?.length) {
    out.push('', 'NETWORK');
    out.push(
      table(s.network, [
        { header: 'SERVICE', get: (n) => n.service },
        { header: 'CLUSTER IP', get: (n) => n.clusterIp ?? 'None (headless)' },
        { header: 'NAMES', get: (n) => n.dnsNames.join(' ') },
      ]),
    );
    const rules = s.network.flatMap((n) => n.rules.map((r) => ({ service: n.service, ...r })));
    out.push('', 'KERNEL RULES');
    out.push(
      rules.length
        ? table(rules, [
            { header: 'SERVICE', get: (r) => r.service },
            { header: 'RULE', get: (r) => r.rule },
            { header: 'PACKETS', get: (r) => r.packets, align: 'right' },
            { header: 'BYTES', get: (r) => r.bytes, align: 'right' },
          ])
        : '(none)',
    );
  }
  out.push('', 'REPLICAS');
  out.push(
    table(s.replicaStatus, [
      { header: 'NAME', get: (r) => r.name },
      { header: 'STATE', get: (r) => r.state },
      { header: 'READY', get: (r) => (r.ready ? 'yes' : 'no') },
      { header: 'IP', get: (r) => r.ip },
      { header: 'TEMPLATE', get: (r) => (r.templateHash === s.templateHash ? r.templateHash : `${r.templateHash} (old)`) },
      { header: 'AGE', get: (r) => ago(r.createdAt).replace(' ago', '') },
      { header: 'REASON', get: (r) => r.reason },
    ]),
  );
  return out.join('\n');
}

/** Reads FILE, every .yaml/.yml/.json in DIR (sorted), or stdin for "-". */
async function readManifests(files: string[]): Promise<unknown[]> {
  const docs: unknown[] = [];
  const parse = (text: string, source: string) => {
    try {
      docs.push(...splitDocuments(text, source));
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  };
  for (const f of files) {
    if (f === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      parse(Buffer.concat(chunks).toString('utf8'), 'stdin');
      continue;
    }
    let st;
    try {
      st = await stat(f);
    } catch {
      throw new CliError(`${f}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const names = (await readdir(f)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
      for (const n of names) parse(await readFile(path.join(f, n), 'utf8'), path.join(f, n));
    } else parse(await readFile(f, 'utf8'), f);
  }
  if (!docs.length) throw new CliError(`no documents in ${files.join(', ')}`);
  return docs;
}

const objName = (o: ApplyOutcome): string => {
  const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  return `${o.kind.toLowerCase()}${group}/${o.name}`;
};

export function servicesCommands(program: Command, ctx: CliContext): void {
  const service = program.command('service').alias('svc').description('replicated services behind a host port');
  const nsOpt = (c: Command) => c.option('-n, --namespace <ns>', 'namespace', 'default');
  const q = (ns: string) => (ns && ns !== 'default' ? `?namespace=${encodeURIComponent(ns)}` : '');

  nsOpt(
    service
      .command('create <name> [command...]')
      .description('create a service: N replicas of IMAGE, balanced on a host port (args after -- override the image cmd)')
      .requiredOption('--image <image>', 'image reference')
      .option('--replicas <n>', 'desired replicas', wholeNumberFlag('--replicas'), 1)
      .option('-p, --publish <host:ctr>', 'HOSTPORT:CONTAINERPORT[/http|tcp] (repeatable; http balances by least outstanding requests)', collect, [])
      .option('--entrypoint <cmd>', 'override the image entrypoint (one word; put arguments after --)')
      .option('--cpus <n>', 'CPU limit in cores, e.g. 0.5')
      .option('--memory <size>', 'memory limit, e.g. 64Mi or 64m')
      .option('-e, --env <k=v>', 'environment variable (repeatable)', collect, [])
      .option('--health-cmd <cmd>', 'readiness probe: run this shell command in the replica')
      .option('--health-http <path>', 'readiness probe: HTTP GET this path on the first container port')
      .option('--health-interval <s>', 'seconds between probes', wholeNumberFlag('--health-interval'), 2)
      .option('--health-retries <n>', 'failures in a row before a replica is unready', wholeNumberFlag('--health-retries'), 3)
      .option('--liveness', 'also use the health check as a liveness probe (replace replicas that fail it)')
      .option('--min <n>', 'autoscaler lower bound', wholeNumberFlag('--min'))
      .option('--max <n>', 'autoscaler upper bound', wholeNumberFlag('--max'))
      .option('--tolerate-unreachable <d>', 'cluster: keep replicas on a NotReady node this long (e.g. 24h) or never, before replacing them elsewhere (default: the server\'s --eviction-timeout)')
      .option('--placement <spec>', 'cluster: prefer=KEY=VALUE[,burst=KEY=VALUE]: nodes with the prefer label first, burst ones when those are full'),
  ).action(async (name: string, command: string[], o: { tolerateUnreachable?: string; image: string; replicas: number; publish: string[]; entrypoint?: string; cpus?: string; memory?: string; env: string[]; healthCmd?: string; healthHttp?: string; healthInterval: number; healthRetries: number; liveness?: boolean; min?: number; max?: number; placement?: string; namespace: string }) => {
    const placement = o.placement === undefined ? undefined : parsePlacement(o.placement);
    if (placement && 'error' in placement) throw new CliError(`--placement: ${placement.error}`);
    if (o.healthCmd && o.healthHttp) throw new CliError('give --health-cmd or --health-http, not both');
    if ((o.min === undefined) !== (o.max === undefined)) throw new CliError('give both --min and --max');
    const ps = o.publish.map(parsePublish);
    const handler = o.healthCmd ? { exec: { command: ['/bin/sh', '-c', o.healthCmd] } } : o.healthHttp ? { httpGet: { path: o.healthHttp, ...(ps[0] ? { port: ps[0].containerPort } : {}) } } : undefined;
    const probe = handler && { ...handler, periodSeconds: o.healthInterval, failureThreshold: o.healthRetries };
    const cpus = o.cpus === undefined ? undefined : cliQuantity(() => parseCpu(o.cpus!, '--cpus') / 1000);
    if (cpus === 0) throw new CliError(`--cpus ${o.cpus}: expected a positive number`);
    if (o.memory !== undefined) cliQuantity(() => parseMemory(o.memory!, '--memory'));
    const manifest = {
      apiVersion: 'llmos.io/v1',
      kind: 'Service',
      metadata: { name, namespace: o.namespace },
      spec: {
        image: o.image,
        replicas: o.replicas,
        ...(o.entrypoint ? { command: [o.entrypoint] } : {}),
        ...(command.length ? { args: command } : {}),
        env: parseEnv(o.env),
        ports: ps,
        ...(cpus !== undefined || o.memory ? { resources: { limits: { ...(cpus !== undefined ? { cpu: cpus } : {}), ...(o.memory ? { memory: o.memory } : {}) } } } : {}),
        ...(probe ? { readinessProbe: probe } : {}),
        ...(probe && o.liveness ? { livenessProbe: probe } : {}),
        ...(o.min !== undefined ? { autoscale: { min: o.min, max: o.max } } : {}),
        ...(placement ? { placement: placement.value } : {}),
        ...(o.tolerateUnreachable !== undefined ? { tolerateUnreachable: o.tolerateUnreachable } : {}),
      },
    };
    const r = await ctx.client().request<{ service: ServiceStatus; warnings: string[] }>('POST', '/v1/services', manifest);
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
    ctx.out(r.service, () => `service ${name} created\n${serviceTable([r.service])}`);
  });

  nsOpt(service.command('ls').alias('list').description('list services'), ).action(async (o: { namespace: string }) => {
    const { services } = await ctx.client().request<{ services: ServiceStatus[] }>('GET', `/v1/services${q(o.namespace)}`);
    ctx.out(services, () => (services.length ? serviceTable(services) : 'no services'));
  });

  nsOpt(service.command('inspect <name>').description('spec, rollout, endpoints and replicas of a service')).action(async (name: string, o: { namespace: string }) => {
    const s = await ctx.client().request<ServiceStatus>('GET', `/v1/services/${encodeURIComponent(name)}${q(o.namespace)}`);
    ctx.out(s, () => inspectText(s));
  });

  nsOpt(
    service
      .command('update <name>')
      .description('rolling update: start new replicas, wait until ready, stop old ones; rolls back if new replicas fail')
      .option('--image <image>', 'new image')
      .option('-e, --env <k=v>', 'set an environment variable (repeatable)', collect, [])
      .option('--no-wait', 'return once the update is recorded')
      .option('--timeout <s>', 'how long to wait for the rollout', wholeNumberFlag('--timeout'), 300),
  ).action(async (name: string, o: { image?: string; env: string[]; wait: boolean; timeout: number; namespace: string }) => {
    if (!o.image && !o.env.length) throw new CliError('nothing to update: give --image or -e');
    const c = ctx.client();
    const p = `/v1/services/${encodeURIComponent(name)}`;
    let s = await c.request<ServiceStatus>('POST', `${p}/update${q(o.namespace)}`, { ...(o.image ? { image: o.image } : {}), ...(o.env.length ? { env: parseEnv(o.env) } : {}) });
    const target = s.templateHash;
    const deadline = Date.now() + o.timeout * 1000;
    while (o.wait && s.rollout?.phase === 'progressing' && s.rollout.toHash === target) {
      if (Date.now() > deadline) throw new CliError(`rollout of ${name} still in progress after ${o.timeout} s (see llmos service inspect ${name})`);
      await new Promise((r) => setTimeout(r, 500));
      s = await c.request<ServiceStatus>('GET', `${p}${q(o.namespace)}`);
    }
    const rolledBack = s.rollout?.phase === 'rolled-back' && s.rollout.toHash === target;
    ctx.out(s, () =>
      !o.wait ? `service ${name}: rolling update to ${s.spec.template.image} started` : rolledBack ? `service ${name}: rolled back to ${s.spec.template.image}: ${s.rollout?.reason}` : `service ${name}: ${s.rollout?.toHash === target ? 'rolled out' : 'updated'} ${s.spec.template.image} (${s.readyReplicas}/${s.spec.replicas} ready)`,
    );
    if (rolledBack) process.exitCode = 1;
  });

  nsOpt(service.command('rm <name>').alias('delete').description('delete a service and stop its replicas')).action(async (name: string, o: { namespace: string }) => {
    await ctx.client().request('DELETE', `/v1/services/${encodeURIComponent(name)}${q(o.namespace)}`);
    ctx.out({ deleted: name }, () => `service ${name} deleted`);
  });

  nsOpt(
    service
      .command('logs <name>')
      .description('logs of all replicas, each line prefixed with its replica')
      .option('--tail <n>', 'last N lines per replica', wholeNumberFlag('--tail'))
      .option('-f, --follow', 'keep streaming'),
  ).action(async (name: string, o: { tail?: number; follow?: boolean; namespace: string }) => {
    const qs = new URLSearchParams({ ...(o.tail ? { tail: String(o.tail) } : {}), ...(o.namespace !== 'default' ? { namespace: o.namespace } : {}) });
    const line = (l: ServiceLogLine) => (ctx.json() ? JSON.stringify(l) : `${l.replica} | ${l.text}`);
    const p = `/v1/services/${encodeURIComponent(name)}/logs`;
    if (o.follow) {
      qs.set('follow', 'true');
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      await ctx.client().stream(`${p}?${qs}`, (ev, data) => ev === 'log' && process.stdout.write(line(data as ServiceLogLine) + '\n'), ac.signal);
      return;
    }
    const { lines } = await ctx.client().request<{ lines: ServiceLogLine[] }>('GET', `${p}?${qs}`);
    if (ctx.json()) ctx.out(lines, () => '');
    else if (lines.length) process.stdout.write(lines.map(line).join('\n') + '\n');
  });

  nsOpt(program.command('scale <name> <replicas>').description('set the desired replicas of a service')).action(async (name: string, replicas: string, o: { namespace: string }) => {
    const n = wholeNumber('replicas', replicas);
    const s = await ctx.client().request<ServiceStatus>('POST', `/v1/services/${encodeURIComponent(name)}/scale${q(o.namespace)}`, { replicas: n });
    ctx.out(s, () => `service ${name} scaled to ${n}`);
  });

  for (const verb of ['apply', 'delete'] as const) {
    program
      .command(verb)
      .description(verb === 'apply' ? 'create or update objects from YAML/JSON manifests (LLMOS kinds and a Kubernetes subset)' : 'delete the objects named by manifests')
      .requiredOption('-f, --filename <path>', 'FILE, DIR (every .yaml/.yml/.json) or - for stdin (repeatable)', collect, [])
      .option('--dry-run', 'validate and show what would change, change nothing')
      .action(async (o: { filename: string[]; dryRun?: boolean }) => {
        const documents = await readManifests(o.filename);
        const r = await ctx.client().request<{ results: ApplyOutcome[]; dryRun: boolean }>('POST', `/v1/${verb}`, { documents, dryRun: !!o.dryRun });
        if (!ctx.json()) for (const x of r.results) for (const w of x.warnings) process.stderr.write(`warning: ${x.kind} ${x.name}: ${w}\n`);
        ctx.out(r, () => r.results.map((x) => `${objName(x)} ${x.action}${x.detail ? ` (${x.detail})` : ''}${r.dryRun ? ' (dry run)' : ''}`).join('\n'));
      });
  }
}
