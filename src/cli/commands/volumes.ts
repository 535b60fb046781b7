// `llmos volume create|ls|inspect|rm|prune`: named volumes, as Docker's.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ago, table } from '../output.js';
import type { VolumeInfo } from '../../contracts/volumes.js';
import { CliError } from '../client.js';

export function volumeCommands(program: Command, ctx: CliContext): void {
  const enc = encodeURIComponent;
  const vol = program.command('volume').description('named volumes (kept in the data dir, mounted with -v NAME:/path)');
  vol
    .command('create [name]')
    .description('create a volume (a random name when none is given)')
    .option('-l, --label <k=v...>', 'set labels')
    .action(async (name: string | undefined, o: { label?: string[] }) => {
      const labels: Record<string, string> = {};
      for (const l of o.label ?? []) {
        const i = l.indexOf('=');
        if (i < 1) throw new CliError(`invalid --label ${JSON.stringify(l)}: use KEY=VALUE`);
        labels[l.slice(0, i)] = l.slice(i + 1);
      }
      const v = await ctx.client().request<VolumeInfo>('POST', '/v1/volumes', { ...(name ? { name } : {}), ...(o.label ? { labels } : {}) });
      ctx.out(v, () => v.name);
    });
  vol
    .command('ls')
    .alias('list')
    .description('list volumes')
    .option('-q, --quiet', 'only names')
    .action(async (o: { quiet?: boolean }) => {
      const { volumes } = await ctx.client().request<{ volumes: VolumeInfo[] }>('GET', '/v1/volumes');
      ctx.out(volumes, () =>
        o.quiet
          ? volumes.map((v) => v.name).join('\n')
          : table(volumes, [
              { header: 'DRIVER', get: (v) => v.driver },
              { header: 'VOLUME NAME', get: (v) => v.name },
              { header: 'CREATED', get: (v) => ago(v.createdAt) },
              { header: 'USED BY', get: (v) => v.usedBy.map((id) => id.slice(0, 12)) },
            ]),
      );
    });
  vol
    .command('inspect <names...>')
    .description('details of volumes, as JSON')
    .action(async (names: string[]) => {
      const out: VolumeInfo[] = [];
      for (const n of names) out.push(await ctx.client().request<VolumeInfo>('GET', `/v1/volumes/${enc(n)}`));
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    });
  vol
    .command('rm <names...>')
    .alias('remove')
    .description('remove volumes (refused while a container uses one)')
    .action(async (names: string[]) => {
      for (const n of names) await ctx.client().request('DELETE', `/v1/volumes/${enc(n)}`);
      ctx.out({ removed: names }, () => names.join('\n'));
    });
  vol
    .command('prune')
    .description('remove every volume no container uses')
    .option('-f, --force', 'do not ask (there is no prompt; accepted for Docker habits)')
    .action(async () => {
      const r = await ctx.client().request<{ removed: string[] }>('POST', '/v1/volumes/prune');
      ctx.out(r, () => (r.removed.length ? `Deleted Volumes:\n${r.removed.join('\n')}\n` : '') + `Total reclaimed volumes: ${r.removed.length}`);
    });
}
