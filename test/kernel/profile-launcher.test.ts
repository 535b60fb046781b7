// `llmos up --profile`, and the launcher and CLI transport of issue 18 (bin/llmos, src/cli/http.ts):
// behaviour only; their speed is bench/cli's and bench/boot's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { llmosBin, runCli, startDaemon } from '../support/daemon.js';
import { within } from '../support/until.js';

test('--profile edge boots without the dashboard; an unknown profile is refused with one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-profile-'));
  try {
    const bad = await runCli(['up', '--data-dir', dir, '--listen', '127.0.0.1:0', '--profile', 'tiny']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'llmos: unknown profile "tiny" (expected full or edge)\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const d = await startDaemon({ args: ['--profile', 'edge'] });
  try {
    const s = await d.api<{ modules: Array<{ name: string; state: string }> }>('GET', '/v1/status');
    const state = Object.fromEntries(s.body.modules.map((m) => [m.name, m.state]));
    assert.equal(state.dashboard, 'disabled');
    assert.equal(state.functions, 'loaded');
    const ui = await fetch(`${d.host}/ui/`);
    assert.equal(ui.status, 503); // the API's answer for a module that is not loaded
  } finally {
    await d.stop();
  }
});

test('the launcher finds `up` after global options and starts it with the daemon\'s V8 flags, keeping Node\'s snapshot (isolated-vm runs only in function hosts)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-launch-'));
  const p = spawn(llmosBin, ['--data-dir', dir, 'up', '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LLMOS_LOG_LEVEL: 'warn' } });
  const exited = new Promise((r) => p.once('exit', r));
  try {
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b));
    await within(new Promise<void>((r) => p.stdout.on('data', () => /API on/.test(out) && r())), 30_000, 'the daemon to start');
    const argv = (await readFile(`/proc/${p.pid}/cmdline`, 'utf8')).split('\0');
    assert.ok(argv.includes('--max-semi-space-size=2'), argv.join(' '));
    assert.ok(!argv.includes('--optimize-for-size'), argv.join(' ')); // it cost the gateway's warm path 1.5x the CPU (bin/llmos)
    assert.match(await readFile(`/proc/${p.pid}/environ`, 'utf8'), /(^|\0)MALLOC_ARENA_MAX=2\0/);
    assert.ok(!argv.includes('--no-node-snapshot'), argv.join(' '));
    assert.ok(argv.includes('up'));
  } finally {
    p.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
});

test('the CLI client (node:http) runs isolates end to end and reports HTTP errors and an unreachable daemon in one line', async () => {
  const d = await startDaemon();
  try {
    const code = path.join(d.dataDir, 'hi.js');
    await writeFile(code, 'export default { fetch: () => new Response("hi from the isolate") }');
    const dep = await d.cli(['fn', 'deploy', 'hi', '--code', code]);
    assert.equal(dep.code, 0, dep.stderr);
    const inv = await d.cli(['fn', 'invoke', 'hi']);
    assert.equal(inv.code, 0, inv.stderr);
    assert.equal(inv.stdout.trim(), 'hi from the isolate');
    const missing = await d.cli(['rm', 'no-such-container']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^llmos: .*no-such-container.*\n$/);
    const down = await runCli(['ps'], { env: { ...process.env, LLMOS_HOST: 'http://127.0.0.1:1', LLMOS_TOKEN: d.token } });
    assert.equal(down.code, 1);
    assert.equal(down.stderr, 'llmos: cannot reach the LLMOS daemon at http://127.0.0.1:1 (ECONNREFUSED): is `llmos up` running?\n');
  } finally {
    await d.stop();
  }
});
