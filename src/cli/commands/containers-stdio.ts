// run -i/-t, exec -i/-t and attach: the container's stdio over an HTTP upgrade (stdio-client.ts).
import type { Command } from 'commander';
import type { ApiClient } from '../client.js';
import type { CliContext } from '../context.js';
import type { ContainerInfo, ContainerSpec } from '../../contracts/containers.js';
import { runStdio } from './stdio-client.js';

const enc = encodeURIComponent;

/** run -i/-t: create, attach (from the start), start; the exit code is the container's. */
export async function runAttached(client: ApiClient, spec: ContainerSpec, stdin: boolean, writeCid: (id: string) => unknown): Promise<void> {
  const c = await client.request<ContainerInfo>('POST', '/v1/containers', spec);
  writeCid(c.id);
  try {
    const code = await runStdio(client, `/v1/containers/${enc(c.id)}/attach?stdin=${stdin}`, {
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

export async function execAttached(client: ApiClient, name: string, cmd: string[], o: { stdin: boolean; tty: boolean; env: string[]; user?: string; workdir?: string }): Promise<void> {
  const q = new URLSearchParams();
  for (const a of cmd) q.append('cmd', a);
  for (const e of o.env) q.append('env', e);
  q.set('tty', String(o.tty));
  q.set('stdin', String(o.stdin));
  if (o.user) q.set('user', o.user);
  if (o.workdir) q.set('workdir', o.workdir);
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
      const info = await client.request<ContainerInfo>('GET', `/v1/containers/${enc(name)}`);
      const q = new URLSearchParams({ stdin: String(o.stdin) });
      if (o.detachKeys !== undefined) q.set('detachKeys', o.detachKeys);
      const code = await runStdio(client, `/v1/containers/${enc(info.id)}/attach?${q}`, { stdin: o.stdin, tty: !!info.spec.tty });
      if (code !== undefined) process.exitCode = code;
    });
}
