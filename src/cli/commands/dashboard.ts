// `llmos ui`: where the dashboard is, and where its sign-in token comes from.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import type { ModuleStatus } from '../../contracts/system.js';
import { CliError } from '../client.js';
import { Kinds } from '../../contracts/kinds.js';

export function dashboardCommands(program: Command, ctx: CliContext): void {
  program
    .command('ui')
    .description('print the URL of the web dashboard (sign in with the API token)')
    .action(async () => {
      const client = ctx.client();
      const { modules } = await client.request<{ modules: ModuleStatus[] }>('GET', '/v1/modules');
      const m = modules.find((x) => x.kind === Kinds.dashboard);
      if (!m || m.state !== 'loaded') throw new CliError(`the dashboard module is ${m ? `${m.state}${m.reason ? ` (${m.reason})` : ''}` : 'not installed'}: load it with \`llmos modules load dashboard\``);
      const url = `${client.base}${String(m.exports.path ?? '/ui/')}`;
      const built = m.exports.built !== false;
      ctx.out({ url, built, assets: m.exports.assets }, () =>
        [
          url,
          built ? 'Sign in with the API token (the `token` file in the data directory, or LLMOS_TOKEN).' : `Not built yet: run \`npx vite build web\` (expected in ${String(m.exports.assets)}).`,
        ].join('\n'),
      );
    });
}
