// Container commands with Docker's habits: run, ps, logs, stop, kill, rm, exec, inspect, wait, stats.
// `run` and `exec` parse their own flags, so everything after the image (or container) name
// belongs to the command, as with Docker: their flag parsing is in run-flags.ts.
import type { Command } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { CliError } from '../client.js';
import type { CliContext } from '../context.js';
import { ago, bytes, table } from '../output.js';
import type { ContainerInfo, ContainerStats, LogLine, PortMapping } from '../../contracts/containers.js';
import { buildRunSpec, ownFlagsCommand, parseEnv, splitAtFirstPositional } from './run-flags.js';
import { goDuration } from './run-flags-docker.js';
import { lifecycleCommands } from './containers-lifecycle.js';
import { volumeCommands } from './volumes.js';
import { filterContainers, formatContainers } from './ps-format.js';
import { attachCommands, execAttached, runAttached } from './containers-stdio.js';

export { buildRunSpec, parseEnv, parseEnvFile, parsePort, parseRestart, parseVolume, splitAtFirstPositional } from './run-flags.js';

// ---- output ------------------------------------------------------------------------------------

const short = (id: string) => id.slice(0, 12);
const portsText = (ps: PortMapping[]) => ps.map((p) => `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`);
const commandText = (c: ContainerInfo) => {
  const s = [...(c.spec.entrypoint ?? []), ...(c.spec.cmd ?? [])].join(' ');
  return s.length > 30 ? JSON.stringify(s.slice(0, 29) + '…') : s ? JSON.stringify(s) : '-';
};

/** Writes a line's exact bytes (binary output included; a last partial line without a newline). */
function printLine(l: LogLine, timestamps: boolean): void {
  const out = l.stream === 'stderr' ? process.stderr : process.stdout;
  if (timestamps) out.write(l.time + ' ');
  out.write(l.data === undefined ? (l.partial ? l.text : l.text + '\n') : Buffer.concat([Buffer.from(l.data, 'base64'), Buffer.from(l.partial ? '' : '\n')]));
}

export function statsTable(rows: Array<ContainerStats & { node?: string }>): string {
  return table(rows, [
    { header: 'CONTAINER ID', get: (s) => short(s.id) },
    { header: 'NAME', get: (s) => s.name },
    { header: 'CPU %', get: (s) => `${s.cpuPercent.toFixed(2)}%`, align: 'right' },
    { header: 'MEM USAGE / LIMIT', get: (s) => `${bytes(s.memoryUsage)} / ${bytes(s.memoryLimit)}`, align: 'right' },
    { header: 'MEM %', get: (s) => `${s.memoryLimit ? ((s.memoryUsage / s.memoryLimit) * 100).toFixed(2) : '0.00'}%`, align: 'right' },
    { header: 'PIDS', get: (s) => s.pids, align: 'right' },
    // Cluster mode only: the node of each container (as ps).
    ...(rows.some((r) => r.node) ? [{ header: 'NODE', get: (r: ContainerStats & { node?: string }) => r.node ?? '-' }] : []),
  ]);
}

/** Docker's exit codes for a command that cannot run: 127 not found, 126 not executable (decided from the error, as Docker's CLI does). */
export function execFailureCode(message: string): number | undefined {
  if (!/\bexec: /.test(message)) return undefined;
  if (/executable file not found|no such file or directory/.test(message)) return 127;
  if (/permission denied|exec format error|is a directory/.test(message)) return 126;
  return undefined;
}

/** Docker's log times: RFC 3339, Unix seconds (with fractions), or a Go duration back from now. */
export function logTime(s: string, flag: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s);
    if (Number.isFinite(t)) return t;
  }
  try {
    return now - goDuration(s, flag);
  } catch {
    throw new CliError(`invalid ${flag} ${JSON.stringify(s)}: use an RFC 3339 time, Unix seconds or a duration like 10m`);
  }
}

async function execCode<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const code = e instanceof CliError ? execFailureCode(e.message) : undefined;
    if (code !== undefined) throw new CliError(e instanceof Error ? e.message : String(e), code);
    throw e;
  }
}

// ---- commands ------------------------------------------------------------------------------------

export function containerCommands(program: Command, ctx: CliContext): void {
  const enc = encodeURIComponent;
  lifecycleCommands(program, ctx);
  attachCommands(program, ctx);
  volumeCommands(program, ctx);

  ownFlagsCommand(program, 'run', 'create and start a container (see llmos run --help)')
    .action(async (args: string[]) => {
      let parsed: ReturnType<typeof buildRunSpec>;
      try {
        parsed = buildRunSpec(args);
      } catch (e) {
        if (e instanceof CliError && e.exitCode === 0) {
          process.stdout.write(e.message + '\n');
          return;
        }
        throw e;
      }
      const { detach, cidfile } = parsed;
      const onNode = parsed.where;
      // -t and -i hold for detached runs too (attach later); -d -i keeps stdin open across attaches.
      const spec = { ...parsed.spec, ...(parsed.tty ? { tty: true } : {}), ...(parsed.interactive ? { openStdin: true } : {}) };
      // Docker refuses an existing cid file before creating anything.
      if (cidfile && existsSync(cidfile)) throw new CliError(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
      const writeCid = (id: string) => cidfile && writeFileSync(cidfile, id);
      const client = ctx.client();
      if (detach) {
        const c = await execCode(() => client.request<ContainerInfo>('POST', `/v1/containers/run${onNode ? `?${onNode}` : ''}`, spec));
        writeCid(c.id);
        ctx.out(c, () => c.id);
        return;
      }
      if (parsed.interactive || parsed.tty) return runAttached(client, { ...spec, ...(parsed.interactive ? { stdinOnce: true } : {}) }, parsed.interactive, writeCid, parsed.detachKeys, parsed.where);
      const res = await execCode(() => client.fetch('POST', `/v1/containers/run?attach=true${onNode ? `&${onNode}` : ''}`, spec));
      let id: string | undefined;
      const forward = (sig: NodeJS.Signals) => {
        if (id) void client.request('POST', `/v1/containers/${id}/kill?signal=${sig}`).catch(() => undefined);
      };
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      let exit: { exitCode: number; oomKilled: boolean } | undefined;
      let buf = '';
      const decoder = new TextDecoder();
      const handle = (line: string) => {
        if (!line) return;
        const m = JSON.parse(line) as { type: string; id?: string; error?: string; exitCode?: number; oomKilled?: boolean } & LogLine;
        if (m.type === 'container') writeCid((id = m.id!));
        else if (m.type === 'log') printLine(m, false);
        else if (m.type === 'exit') exit = { exitCode: m.exitCode!, oomKilled: !!m.oomKilled };
        else if (m.type === 'error') throw new CliError(m.error ?? 'the container stream failed');
      };
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            handle(buf.slice(0, i));
            buf = buf.slice(i + 1);
          }
        }
        handle(buf);
      } finally {
        process.off('SIGINT', forward);
        process.off('SIGTERM', forward);
      }
      if (!exit) throw new CliError('the daemon closed the stream before the container exited');
      if (exit.oomKilled) process.stderr.write('llmos: the container was killed: out of memory (OOMKilled)\n');
      process.exitCode = exit.exitCode;
    });

  const nodeOf = (c: ContainerInfo): string | undefined => (c as ContainerInfo & { node?: string }).node;
  program
    .command('ps')
    .description('list containers')
    .option('-a, --all', 'include stopped containers')
    .option('-q, --quiet', 'only ids')
    .option('--owner <owner>', 'only containers of this owner (e.g. service/web)')
    .option('-n, --namespace <ns>', 'only containers of this namespace')
    .option('--node <node>', 'only containers on this cluster node')
    .option('-f, --filter <k=v...>', 'name=, id=, label=K[=V], status=running|exited|created|paused, ancestor=IMAGE')
    .option('--format <template>', 'Go-template subset: {{.ID}} {{.Names}} {{.Image}} {{.Status}} {{.Ports}} {{.State}} {{.Command}} {{json .}}, "table ..."')
    .action(async (o: { all?: boolean; quiet?: boolean; owner?: string; namespace?: string; node?: string; filter?: string[]; format?: string }) => {
      const q = new URLSearchParams({ ...(o.all || o.filter?.some((f) => f.startsWith('status=')) ? { all: 'true' } : {}), ...(o.owner ? { owner: o.owner } : {}), ...(o.namespace ? { namespace: o.namespace } : {}), ...(o.node ? { node: o.node } : {}) });
      const all = (await ctx.client().request<{ containers: Array<ContainerInfo & { node?: string }> }>('GET', `/v1/containers?${q}`)).containers.map((c) => (o.node ? { ...c, node: o.node } : c));
      const containers = filterContainers(all, o.filter ?? []);
      if (o.format !== undefined && !ctx.json()) {
        process.stdout.write(formatContainers(containers, o.format) + '\n');
        return;
      }
      ctx.out(containers, () =>
        o.quiet
          ? containers.map((c) => short(c.id)).join('\n')
          : table(containers, [
              { header: 'CONTAINER ID', get: (c) => short(c.id) },
              { header: 'IMAGE', get: (c) => c.image },
              { header: 'COMMAND', get: commandText },
              { header: 'CREATED', get: (c) => ago(c.createdAt) },
              { header: 'STATUS', get: (c) => c.status },
              { header: 'PORTS', get: (c) => (c.state === 'running' ? portsText(c.ports) : []) },
              { header: 'NAMES', get: (c) => c.name },
              // Cluster mode only: the node each container runs on (one machine prints what it always did).
              ...(containers.some((c) => nodeOf(c)) ? [{ header: 'NODE', get: (c: ContainerInfo) => nodeOf(c) ?? '-' }] : []),
            ]),
      );
    });

  program
    .command('logs <container>')
    .description('print a container\'s output')
    .option('-f, --follow', 'keep streaming until the container exits')
    .option('-n, --tail <n>', 'only the last n lines')
    .option('-t, --timestamps', 'prefix each line with its time')
    .option('--since <time>', 'only lines since a time (RFC 3339, Unix seconds) or for a duration back (10m)')
    .option('--until <time>', 'only lines before a time (RFC 3339, Unix seconds) or a duration ago (10m)')
    .action(async (name: string, o: { follow?: boolean; tail?: string; timestamps?: boolean; since?: string; until?: string }) => {
      if (o.tail !== undefined && !/^\d+$/.test(o.tail)) throw new CliError(`invalid --tail ${JSON.stringify(o.tail)}: expected a number of lines`);
      const q = new URLSearchParams(o.tail !== undefined ? { tail: o.tail } : {});
      if (o.since !== undefined) q.set('since', String(logTime(o.since, '--since')));
      if (o.until !== undefined) q.set('until', String(logTime(o.until, '--until')));
      const print = (l: LogLine) => (ctx.json() ? process.stdout.write(JSON.stringify(l) + '\n') : printLine(l, !!o.timestamps));
      if (o.follow) {
        q.set('follow', 'true');
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        let failure: string | undefined;
        // The daemon ends the stream when the container has exited and its output is drained.
        await ctx.client().stream(`/v1/containers/${enc(name)}/logs?${q}`, (ev, data) => {
          if (ev === 'log') print(data as LogLine);
          else if (ev === 'error') failure = (data as { error: string }).error;
        }, ac.signal);
        if (failure) throw new CliError(failure);
        return;
      }
      const { lines } = await ctx.client().request<{ lines: LogLine[] }>('GET', `/v1/containers/${enc(name)}/logs?${q}`);
      for (const l of lines) print(l);
    });

  program
    .command('stop <containers...>')
    .description('stop containers: the stop signal, then KILL after the grace period')
    .option('-t, --time <seconds>', 'grace period before KILL (default: the container\'s --stop-timeout, else 10)')
    .action(async (names: string[], o: { time?: string }) => {
      if (o.time !== undefined && !/^\d+$/.test(o.time)) throw new CliError(`invalid --time ${JSON.stringify(o.time)}: expected seconds`);
      const out: ContainerInfo[] = [];
      for (const n of names) out.push(await ctx.client().request<ContainerInfo>('POST', `/v1/containers/${enc(n)}/stop${o.time !== undefined ? `?timeout=${o.time}` : ''}`));
      ctx.out(out, () => names.join('\n'));
    });

  program
    .command('kill <containers...>')
    .description('send a signal to containers')
    .option('-s, --signal <signal>', 'signal name or number', 'KILL')
    .action(async (names: string[], o: { signal: string }) => {
      for (const n of names) await ctx.client().request('POST', `/v1/containers/${enc(n)}/kill?signal=${enc(o.signal)}`);
      ctx.out({ killed: names }, () => names.join('\n'));
    });

  program
    .command('rm <containers...>')
    .description('remove containers')
    .option('-f, --force', 'kill running containers first')
    .action(async (names: string[], o: { force?: boolean }) => {
      for (const n of names) await ctx.client().request('DELETE', `/v1/containers/${enc(n)}${o.force ? '?force=true' : ''}`);
      ctx.out({ removed: names }, () => names.join('\n'));
    });

  ownFlagsCommand(program, 'exec', 'run a command in a running container: llmos exec [-e K=V] CONTAINER COMMAND [ARG...]')
    .action(async (args: string[]) => {
      const { values, positional: name, rest } = splitAtFirstPositional(args, { env: { type: 'string', short: 'e', multiple: true }, user: { type: 'string', short: 'u' }, workdir: { type: 'string', short: 'w' }, interactive: { type: 'boolean', short: 'i' }, tty: { type: 'boolean', short: 't' }, 'detach-keys': { type: 'string' } } as const);
      if (!name || !rest.length) throw new CliError('usage: llmos exec [-e K=V] [-u USER] [-w DIR] [-i] [-t] [--detach-keys KEYS] CONTAINER COMMAND [ARG...]');
      if (values.interactive || values.tty) return execAttached(ctx.client(), name, rest, { stdin: !!values.interactive, tty: !!values.tty, env: (values.env as string[] | undefined) ?? [], user: values.user as string | undefined, workdir: values.workdir as string | undefined, detachKeys: values['detach-keys'] as string | undefined });
      const r = await ctx.client().request<{ exitCode: number; stdout: string; stderr: string }>('POST', `/v1/containers/${enc(name)}/exec`, { cmd: rest, env: parseEnv((values.env as string[] | undefined) ?? []), ...(values.user ? { user: values.user } : {}), ...(values.workdir ? { workingDir: values.workdir } : {}) });
      if (ctx.json()) ctx.out(r, () => '');
      else {
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
      }
      process.exitCode = r.exitCode;
    });

  program
    .command('inspect <containers...>')
    .description('details of containers, as JSON')
    .action(async (names: string[]) => {
      const out: ContainerInfo[] = [];
      for (const n of names) out.push(await ctx.client().request<ContainerInfo>('GET', `/v1/containers/${enc(n)}`));
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    });

  program
    .command('wait <containers...>')
    .description('wait for containers to exit and print their exit codes')
    .action(async (names: string[]) => {
      const out: Array<{ exitCode: number; oomKilled: boolean }> = [];
      for (const n of names) out.push(await ctx.client().request('POST', `/v1/containers/${enc(n)}/wait`));
      ctx.out(out, () => out.map((r) => String(r.exitCode)).join('\n'));
    });

  program
    .command('stats [containers...]')
    .description('CPU, memory and PIDs of running containers, from their cgroups')
    .option('--no-stream', 'print once instead of refreshing')
    .action(async (names: string[], o: { stream: boolean }) => {
      const client = ctx.client();
      const sample = async () => {
        if (names.length) return Promise.all(names.map((n) => client.request<ContainerStats>('GET', `/v1/containers/${enc(n)}/stats`)));
        // Every running container (on every node in cluster mode); one that exits meanwhile is left out.
        const listed = (await client.request<{ containers: Array<ContainerInfo & { node?: string }> }>('GET', '/v1/containers')).containers;
        const rows = await Promise.all(listed.map((c) => client.request<ContainerStats>('GET', `/v1/containers/${enc(c.id)}/stats${c.node ? `?node=${enc(c.node)}` : ''}`).catch(() => undefined)));
        return rows.filter((r): r is ContainerStats => r !== undefined);
      };
      if (!o.stream || ctx.json()) {
        const rows = await sample();
        ctx.out(rows, () => statsTable(rows));
        return;
      }
      let stop = false;
      process.once('SIGINT', () => (stop = true));
      while (!stop) {
        const rows = await sample();
        process.stdout.write('\x1b[2J\x1b[H' + statsTable(rows) + '\n');
        await new Promise((r) => setTimeout(r, 2000));
      }
    });
}
