// Fuzz the CLI's quantities and durations (issue 13, suites (c)): the real `llmos` binary with
// fuzzed --cpus, --memory, --replicas, --period, -p ... against a closed loopback port, and the
// flag parsers in-process. Property: exit 0 or 1, and on 1 exactly one line "llmos: <reason>"
// (no stack trace, no TypeError); the parsers return bounded values or throw CliError/InvalidArgument.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { CliError } from '../../src/cli/client.js';
import { parsePort } from '../../src/cli/commands/containers.js';
import { parsePublish } from '../../src/cli/commands/services.js';
import { InvalidArgument } from '../../src/kernel/errors.js';
import { runCli } from '../support/daemon.js';
import { runProperty } from './budget.js';
import { aliasBomb } from './hostile.js';

/** Quantity- and duration-shaped text, valid and not. */
const q = fc.oneof(
  fc.constantFrom('0', '1', '0.5', '500m', '64Mi', '1Gi', '1Pi', '2Pi', '30s', '10m', '1d', '366d', '1e308', '-1', 'NaN', 'Infinity', '99999999999999999999', '0x10', ' 1', '1 ', '', '--', '-p', '1/tcp', '65536:80', '80:0', '8080:80/udp', '\u0661'),
  fc.stringMatching(/^[0-9.emMGiKkbsdhx:/-]{1,24}$/),
  fc.string({ maxLength: 12 }),
);
const env = { LLMOS_HOST: 'http://127.0.0.1:1', LLMOS_TOKEN: 'fuzz', LLMOS_DATA_DIR: '/nonexistent' };
const commands: Array<(v: string[]) => string[]> = [
  ([a, b, c, d]) => ['service', 'create', 'web', '--image', 'x', '--cpus', a!, '--memory', b!, '--replicas', c!, '--health-interval', d!],
  ([a, b, c, d]) => ['service', 'create', 'web', '--image', 'x', '-p', a!, '-p', b!, '--min', c!, '--max', d!],
  ([a, b, c, d]) => ['autoscale', 'web', '--period', a!, '--startup', b!, '--scale-down-window', c!, '--metric', `cpu=${d}`],
  ([a, b, c, d]) => ['autoscale', 'web', '--stable-window', a!, '--min', b!, '--max', c!, '--metric', `rps=${d}`],
  ([a, b, c]) => ['run', '-d', '--cpus', a!, '--memory', b!, '-p', c!, 'x'],
  ([a, b, c]) => ['quota', 'set', 'default', '--cpu', a!, '--memory', b!, '--workloads', c!],
  ([a, b]) => ['scale', 'web', a!, '-n', b!],
];

test('fuzz: the llmos CLI with fuzzed quantities and durations exits 0/1 with one line', async (t) => {
  const seen = new Map<number, number>();
  const runs = await runProperty(
    fc.asyncProperty(fc.nat(commands.length - 1), fc.array(q, { minLength: 4, maxLength: 4 }), async (i, vals) => {
      const args = commands[i]!(vals);
      const r = await runCli(args, { env: { ...process.env, ...env }, timeoutMs: 20_000 });
      seen.set(r.code, (seen.get(r.code) ?? 0) + 1);
      assert.ok(r.code === 0 || r.code === 1, `llmos ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      if (r.code === 1) {
        const lines = r.stderr.trim().split('\n');
        // commander prints its own "error: ..." for a malformed command line; ours are "llmos: ...".
        assert.ok(lines.length <= 2 && /^(llmos|error): /.test(lines[0]!), `llmos ${args.join(' ')}: stderr\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|RangeError|ReferenceError/, `llmos ${args.join(' ')}`);
      }
    }),
    40,
  );
  t.diagnostic(`${runs} CLI runs; exit codes ${JSON.stringify(Object.fromEntries(seen))}`);
});

test('fuzz: -p parsers return ports in range or a one-line error', async (t) => {
  const runs = await runProperty(
    fc.property(q, (v) => {
      for (const parse of [parsePublish, parsePort] as Array<(s: string) => { hostPort?: number; containerPort: number }>) {
        let p: { hostPort?: number; containerPort: number };
        try {
          p = parse(v);
        } catch (e) {
          assert.ok(e instanceof CliError || e instanceof InvalidArgument, `${fc.stringify(v)} threw ${String(e)}`);
          continue;
        }
        for (const n of [p.containerPort, p.hostPort]) assert.ok(n === undefined || (Number.isInteger(n) && n >= 0 && n <= 65535), `${fc.stringify(v)} -> ${JSON.stringify(p)}`);
      }
    }),
    3000,
  );
  t.diagnostic(`${runs} cases`);
});

test('llmos apply -f with a YAML alias bomb: one line naming the file and the reason, before any request', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-bomb-'));
  try {
    const f = path.join(dir, 'bomb.yaml');
    await writeFile(f, aliasBomb);
    const r = await runCli(['apply', '-f', f], { env: { ...process.env, ...env } });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `llmos: ${f}: too many YAML aliases (at most 100 expansions per document)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
