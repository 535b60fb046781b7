// run -i/-t, exec -i/-t and attach: the container's stdio over an HTTP upgrade (stdio-client.ts).
import type { Command } from 'commander';
import type { ApiClient } from '../client.js';
import type { CliContext } from '../context.js';
import type { ContainerInfo, ContainerSpec } from '../../contracts/containers.js';
import { CliError } from '../client.js';
import { runStdio } from './stdio-client.js';

const enc = encodeURIComponent;

/** Docker's detach keys: comma-separated, each one character or ctrl-X (X in a-z @ [ \\ ] ^ _); checked before anything is created. */
export function checkDetachKeys(keys: string | undefined): void {
  if (keys === undefined || keys === '') return;
  for (const k of keys.split(',')) if (!(k.length === 1 || /^ctrl-[a-z@[\\\]^_]$/i.test(k))) throw new CliError(`invalid detach keys ${JSON.stringify(keys)}: each key is one character or ctrl-X (X: a-z, @, [, \\, ], ^, _), separated by commas`);
}

/** Docker's CheckTty: stdin attached to a TTY needs a terminal on this side (`-t` alone, or `-i` alone, is fine with a pipe). */
export function checkTty(stdin: boolean, tty: boolean, isTerminal = !!process.stdin.isTTY): void {
  if (stdin && tty && !isTerminal) throw new CliError('the input device is not a TTY');
}

/** run -i/-t: create, attach (from the start), start; the exit code is the container's. */
export async function runAttached(client: ApiClient, spec: ContainerSpec, stdin: boolean, writeCid: (id: string) => unknown, detachKeys?: string, where = ''): Promise<void> {
  checkTty(stdin, !!spec.tty);
  checkDetachKeys(detachKeys);
  const c = await client.request<ContainerInfo>('POST', `/v1/containers${where ? `?${where}` : ''}`, spec);
  writeCid(c.id);
  const q = new URLSearchParams({ stdin: String(stdin) });
  if (detachKeys !== undefined) q.set('detachKeys', detachKeys);
  try {
    const code = await runStdio(client, `/v1/containers/${enc(c.id)}/attach?${q}`, {
      stdin,
      tty: !!spec.tty,
      ready: async () => {
        await client.request('POST', `/v1/containers/${enc(c.id)}/start`);
      },
    });
    if (code !== undefined) process.exitCode = code;
  } catch (e) {
    if (spec.autoRemove) await client.request('DELETE', `/v1/containers/${enc(c.id)}?force=true`).catch(() => undefined);
    throw e;
  }
}

export async function execAttached(client: ApiClient, name: string, cmd: string[], o: { stdin: boolean; tty: boolean; env: string[]; user?: string; workdir?: string; detachKeys?: string }): Promise<void> {
  checkTty(o.stdin, o.tty);
  checkDetachKeys(o.detachKeys);
  const q = new URLSearchParams();
  for (const a of cmd) q.append('cmd', a);
  for (const e of o.env) q.append('env', e);
  q.set('tty', String(o.tty));
  q.set('stdin', String(o.stdin));
  if (o.user) q.set('user', o.user);
  if (o.workdir) q.set('workdir', o.workdir);
  if (o.detachKeys !== undefined) q.set('detachKeys', o.detachKeys);
  const code = await runStdio(client, `/v1/containers/${enc(name)}/exec-stdio?${q}`, { stdin: o.stdin, tty: o.tty });
  if (code !== undefined) process.exitCode = code;
}

export function attachCommands(program: Command, ctx: CliContext): void {
  program
    .command('attach <container>')
    .description("attach the terminal's stdin, stdout and stderr to a running container (detach: ctrl-p ctrl-q)")
    .option('--detach-keys <keys>', 'key sequence to detach, e.g. ctrl-x,y (default ctrl-p,ctrl-q)')
    .option('--no-stdin', 'do not attach stdin')
    .action(async (name: string, o: { detachKeys?: string; stdin: boolean }) => {
      const client = ctx.client();
      checkDetachKeys(o.detachKeys);
      const info = await client.request<ContainerInfo>('GET', `/v1/containers/${enc(name)}`);
      checkTty(o.stdin, !!info.spec.tty);
      const q = new URLSearchParams({ stdin: String(o.stdin) });
      if (o.detachKeys !== undefined) q.set('detachKeys', o.detachKeys);
      const code = await runStdio(client, `/v1/containers/${enc(info.id)}/attach?${q}`, { stdin: o.stdin, tty: !!info.spec.tty });
      if (code !== undefined) process.exitCode = code;
    });
}
