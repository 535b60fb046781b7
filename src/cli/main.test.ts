import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { globalsOnEveryCommand } from './main.js';

function cli() {
  const program = new Command('llmos').option('--json').option('--host <url>').option('-o, --output <format>', 'output', 'table').enablePositionalOptions().exitOverride();
  const seen: { opts?: Record<string, unknown>; args?: string[] } = {};
  program.command('ps').option('-a, --all').action(() => void (seen.opts = program.opts()));
  program.command('fn').command('ls').action(() => void (seen.opts = program.opts()));
  program
    .command('run')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument('[args...]')
    .action((args: string[]) => void ((seen.args = args), (seen.opts = program.opts())));
  globalsOnEveryCommand(program);
  return { parse: (...argv: string[]) => program.parseAsync(['node', 'llmos', ...argv]), seen };
}

test('global options work after a command (and a nested one), as before positional options', async () => {
  const a = cli();
  await a.parse('ps', '-a', '--json', '--host', 'http://h:1');
  assert.equal(a.seen.opts?.json, true);
  assert.equal(a.seen.opts?.host, 'http://h:1');
  const b = cli();
  await b.parse('fn', 'ls', '-o', 'json');
  assert.equal(b.seen.opts?.output, 'json');
  const c = cli();
  await c.parse('--json', 'ps');
  assert.equal(c.seen.opts?.json, true, 'before the command too');
});

test('run passes everything after its name through, global-looking options included, in order', async () => {
  const a = cli();
  await a.parse('run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo', '--json', '-o', 'x', '--', '--host');
  assert.deepEqual(a.seen.args, ['-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo', '--json', '-o', 'x', '--', '--host']);
  assert.equal(a.seen.opts?.json, undefined, 'the container command\'s --json is not the CLI\'s');
  assert.equal(a.seen.opts?.output, 'table');
  const b = cli();
  await b.parse('--json', 'run', '--rm', 'img');
  assert.deepEqual(b.seen.args, ['--rm', 'img']);
  assert.equal(b.seen.opts?.json, true);
});
