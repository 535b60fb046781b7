// `llmos store check|backup|restore`: the state store of a data dir. With a daemon holding the
// data dir, check and backup go through its API; without one they run the offline tools of the
// daemon's entry (src/store-tools.ts, which takes the data dir lock so a daemon cannot start
// meanwhile). Restore needs a stopped daemon.
import type { Command } from 'commander';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DaemonEntry, StoreToolsEntry } from '../../contracts/system.js';
import { defaultDataDir } from '../../paths.js';
import { CliError } from '../client.js';
import type { CliContext } from '../context.js';

interface CheckResult {
  ok: boolean;
  file?: string;
  full: boolean;
  problems: string[];
  via: 'api' | 'file';
}

// The tools live in the bundled daemon entry (as `llmos up` does): only the store commands load it.
const tools = async (): Promise<StoreToolsEntry> => ((await import(new URL('../../../daemon.mjs', import.meta.url).href)) as DaemonEntry).storeTools;

function mustExist(dataDir: string): void {
  if (!existsSync(dataDir)) throw new CliError(`no data dir ${dataDir} (set --data-dir or LLMOS_DATA_DIR)`);
}

export function storeCommands(program: Command, ctx: CliContext): void {
  const store = program.command('store').description('check, back up and restore the state store of a data dir');
  const dataDirOf = (cmd: Command): string => path.resolve(cmd.optsWithGlobals<{ dataDir?: string }>().dataDir ?? process.env.LLMOS_DATA_DIR ?? defaultDataDir());

  store
    .command('check')
    .description('integrity check of the store (quick_check; --full for integrity_check); exit 1 when it fails')
    .option('--full', 'full integrity_check (slower: also checks indexes against tables)')
    .action(async (o: { full?: boolean }, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      mustExist(dataDir);
      const full = !!o.full;
      let r: CheckResult;
      const local = await (await tools()).checkStore(dataDir, full);
      if (local === 'daemon') {
        const a = await ctx.client().request<Omit<CheckResult, 'via'>>('GET', `/v1/store/check?full=${full}`);
        r = { ...a, via: 'api' };
      } else {
        r = { ok: local.problems.length === 0, file: local.file, full, problems: local.problems, via: 'file' };
      }
      ctx.out(r, () => (r.ok ? `ok: ${r.file ?? 'state store'} passed ${full ? 'integrity_check' : 'quick_check'}` : [`CORRUPT: ${r.file ?? 'state store'}`, ...r.problems.map((p) => `  ${p}`), 'restore a backup with `llmos store restore BACKUP` (daemon stopped)'].join('\n')));
      if (!r.ok) process.exitCode = 1;
    });

  store
    .command('backup <file>')
    .description('write a consistent copy of the store to FILE (SQLite online backup; works while the daemon runs)')
    .action(async (dest: string, _o: unknown, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      mustExist(dataDir);
      const out = path.resolve(dest);
      const local = await (await tools()).backupStore(dataDir, out);
      if (local === 'daemon') {
        const res = await ctx.client().fetch('GET', '/v1/store/backup');
        const tmp = `${out}.partial`;
        try {
          await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(tmp, { mode: 0o600 }));
          await rename(tmp, out);
        } catch (e) {
          await rm(tmp, { force: true });
          throw new CliError(`backup to ${out} failed: ${(e as Error).message}`);
        }
      }
      await chmod(out, 0o600);
      ctx.out({ file: out, via: local === 'daemon' ? 'api' : 'file' }, () => `backup written to ${out}`);
    });

  store
    .command('restore <backup>')
    .description("replace a stopped daemon's store with BACKUP (checked first; the old store is kept beside it)")
    .action(async (backup: string, _o: unknown, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      await mkdir(dataDir, { recursive: true, mode: 0o700 }); // restoring onto a new machine is fine
      const r = await (await tools()).restoreStore(dataDir, path.resolve(backup));
      ctx.out({ file: r.file, backup: path.resolve(backup), replaced: r.replaced }, () => `restored ${r.file} from ${path.resolve(backup)}${r.replaced ? ` (the previous store is kept as ${r.replaced})` : ''}`);
    });
}
