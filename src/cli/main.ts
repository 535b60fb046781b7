// The `llmos` command line: a client of the API (plus `up`, which runs the daemon).
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { CliError } from './client.js';
import { createContext } from './context.js';
import { commandGroups } from './commands/index.js';
import { LLMOS_VERSION } from '../version.js';
import { LlmosError } from '../kernel/errors.js';

export async function main(argv: string[]): Promise<number> {
  // A reader that went away (`llmos logs x | head`) ends the command quietly, as SIGPIPE does for Docker's CLI.
  for (const s of [process.stdout, process.stderr]) s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : undefined));
  const program = new Command('llmos')
    .description('LLMOS: a lightweight cloud operating system for containers and functions')
    .version(LLMOS_VERSION)
    .option('--host <url>', 'daemon address (env LLMOS_HOST)', undefined)
    .option('--data-dir <dir>', 'data directory holding the API token (env LLMOS_DATA_DIR)')
    .option('--token <token>', 'API token (env LLMOS_TOKEN)')
    .option('--ca <file>', 'CA certificate to trust for an https:// daemon (env LLMOS_CA; default: the data dir\'s cluster CA)')
    .option('--json', 'print JSON for scripts')
    .option('-o, --output <format>', 'output format: table or json', 'table')
    .showHelpAfterError('(run with --help for usage)')
    // `run` and `exec` hand everything after their name to the container (passThroughOptions), so
    // the program's options count before a command; globalsOnEveryCommand keeps `ps -a --json`.
    .enablePositionalOptions()
    .exitOverride();
  const ctx = createContext(program);
  const first = firstCommand(argv);
  const owner = commandOwners()[first ?? ''];
  // `llmos --version` needs no command group; help and unknown commands need them all.
  const versionOnly = first === undefined && argv.some((a) => a === '--version' || a === '-V');
  for (const g of commandGroups.filter((g) => !versionOnly && (!owner || g.name === owner))) (await g.load())(program, ctx);
  globalsOnEveryCommand(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1; // commander already printed the reason
    const msg = e instanceof CliError || e instanceof LlmosError ? e.message : e instanceof Error ? e.message : String(e);
    process.stderr.write(`llmos: ${msg}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}

const globalOptionsWithValue = new Set(['--host', '--data-dir', '--token', '--ca', '-o', '--output']);

/**
 * With positional options the program's own options (--json, --host, ...) would count only before
 * the command; every command but the pass-through ones (run, exec) takes them too, and hands what
 * it was given to the program before its action runs, so they work anywhere as before.
 */
export function globalsOnEveryCommand(program: Command): void {
  const globals = program.options.filter((o) => o.long !== '--version');
  const add = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      if (!(sub as unknown as { _passThroughOptions?: boolean })._passThroughOptions) {
        for (const o of globals) if (!sub.options.some((x) => x.long === o.long || (o.short && x.short === o.short))) sub.addOption(new Option(o.flags, o.description));
      }
      add(sub);
    }
  };
  add(program);
  program.hook('preAction', (_program, action) => {
    for (let c: Command | null = action; c && c !== program; c = c.parent) {
      for (const o of globals) {
        const key = o.attributeName();
        if (c.getOptionValueSource(key) === 'cli' && program.getOptionValueSource(key) !== 'cli') program.setOptionValueWithSource(key, c.getOptionValue(key), 'cli');
      }
    }
  });
}

/** The top-level command named in argv (after node, script and global options), if any. */
export function firstCommand(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) return a;
    if (globalOptionsWithValue.has(a)) i++;
  }
  return undefined;
}

/** Command name -> group name, written by scripts/cli-manifest.mjs at build time; empty when absent (then every group loads). */
function commandOwners(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(new URL('../../cli-manifest.json', import.meta.url), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}
