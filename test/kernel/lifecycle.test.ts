// End to end: one daemon per data dir, a bounded shutdown, owner-only files, config.json
// validation, and the bearer scheme in any case. Real `llmos up` processes throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, runCli, startDaemon } from '../support/daemon.js';
import { until } from '../support/until.js';

/** The exit code, or 'still running' after ms (the process is then SIGKILLed so the test ends). */
async function exitWithin(proc: import('node:child_process').ChildProcess, ms: number): Promise<number | null | 'still running'> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    new Promise<number | null>((resolve) => proc.once('exit', resolve)),
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms))),
  ]);
  clearTimeout(timer);
  if (r === 'still running') proc.kill('SIGKILL');
  return r;
}

const up = (dataDir: string, env: Record<string, string> = {}) =>
  runCli(['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0'], { env: { ...process.env, LLMOS_LOG_LEVEL: 'warn', ...env } as Record<string, string>, timeoutMs: 30_000 });

test('a second daemon on the same data dir is refused, naming the PID of the first', async () => {
  const d = await startDaemon();
  try {
    const r = await up(d.dataDir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^llmos: data dir .* is in use by another LLMOS daemon \\(PID ${d.proc.pid}\\)`));
    assert.equal((await d.api('GET', '/v1/status')).status, 200, 'the first daemon is unaffected');
  } finally {
    await d.stop();
  }
});

test('the lock of a SIGKILLed daemon does not block a restart', async () => {
  const d = await startDaemon();
  await d.kill();
  const again = await startDaemon({ dataDir: d.dataDir });
  try {
    assert.equal((await again.api('GET', '/v1/status')).status, 200);
  } finally {
    await again.stop();
    await d.stop();
  }
});

test('SIGTERM exits within the drain bound with a hung module stop and a pending host timer, naming what was pending', async () => {
  const bound = 1500;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-drain-'));
  // The real daemon plus one module whose stop never returns and whose timer stays pending.
  const script = `
    const { runDaemon } = await import(${JSON.stringify(path.join(projectRoot, 'dist/src/daemon.js'))});
    await runDaemon({ dataDir: ${JSON.stringify(dataDir)}, listen: '127.0.0.1:0', gateway: '127.0.0.1:0', extraModules: [{
      kind: 'test.hang.v1', id: 'stuck',
      init() { setInterval(() => undefined, 1000); return {}; },
      stop() { return new Promise(() => undefined); },
    }] });`;
  const proc = spawn(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script], { env: { ...process.env, LLMOS_LOG_LEVEL: 'warn', LLMOS_SHUTDOWN_TIMEOUT_MS: String(bound) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  try {
    const host = await until('the daemon to boot', async () => /API on (http:\/\/\S+)/.exec(out)?.[1], 30_000, 50);
    // An open API event stream too: a plain close() used to wait on it forever.
    const ac = new AbortController();
    const token = (await readFile(path.join(dataDir, 'token'), 'utf8')).trim();
    assert.equal((await fetch(`${host}/v1/events?follow=true`, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal })).status, 200);
    const t0 = Date.now();
    proc.kill('SIGTERM');
    const code = await exitWithin(proc, bound + 4000);
    const took = Date.now() - t0;
    ac.abort();
    assert.ok(took < bound + 4000, `exited after ${took} ms`);
    assert.match(out, /still pending after 1500 ms, exiting anyway: module test\.hang\.v1\.stuck \(stop still running\)/);
    assert.equal(code, 1, 'a drain that gave up exits 1');
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('SIGTERM with an open event stream drains cleanly and promptly (exit 0)', async () => {
  const d = await startDaemon();
  try {
    const ac = new AbortController();
    const stream = await fetch(`${d.host}/v1/events?follow=true`, { headers: { authorization: `Bearer ${d.token}` }, signal: ac.signal });
    assert.equal(stream.status, 200);
    const t0 = Date.now();
    d.proc.kill('SIGTERM');
    const code = await exitWithin(d.proc, 8000);
    ac.abort();
    assert.equal(code, 0, d.output());
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  } finally {
    await d.stop();
  }
});

test('every file the daemon writes in the data dir is 0600 and every dir 0700', async () => {
  const d = await startDaemon();
  try {
    await d.api('POST', '/v1/namespaces', { name: 'perm-check' }); // a store write, so the WAL exists
    const dataDir = d.dataDir;
    const bad: string[] = [];
    const expectMode = async (p: string, mode: number) => {
      const m = (await stat(p)).mode & 0o777;
      if (m !== mode) bad.push(`${path.relative(dataDir, p) || '.'} is ${m.toString(8)}`);
    };
    await expectMode(dataDir, 0o700);
    for (const e of await readdir(dataDir, { withFileTypes: true })) await expectMode(path.join(dataDir, e.name), e.isDirectory() ? 0o700 : 0o600);
    const modules = path.join(dataDir, 'modules');
    const mods = await readdir(modules);
    assert.ok(mods.length >= 2, 'module dirs exist');
    for (const m of mods) await expectMode(path.join(modules, m), 0o700);
    const storeDir = path.join(modules, 'llmos.state-store.v1.sqlite');
    const storeFiles = await readdir(storeDir);
    assert.ok(storeFiles.includes('state.db') && storeFiles.includes('state.db-wal'), storeFiles.join(','));
    for (const f of storeFiles) await expectMode(path.join(storeDir, f), 0o600);
    assert.deepEqual(bad, []);
  } finally {
    await d.stop();
  }
});

test('a malformed or invalid config.json refuses boot with exit 1 and one line naming the field', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-config-'));
  try {
    for (const [text, expected] of [
      ['{"listen": ', /config\.json: not valid JSON/],
      ['{"reserved": {"cpu": "lots"}}', /config\.json: reserved\.cpu: .*number/],
      ['{"listen": "nowhere"}', /config\.json: listen: expected HOST:PORT/],
      ['{"modules": {"dashboard": {"enabled": "no"}}}', /config\.json: modules\.dashboard\.enabled: .*boolean/],
      ['{"lisen": "127.0.0.1:1"}', /config\.json: \(top level\): .*lisen/],
    ] as const) {
      await writeFile(path.join(dir, 'config.json'), text);
      const r = await up(dir);
      assert.equal(r.code, 1, `${text}: ${r.stdout}${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^llmos: /);
      assert.match(lines[0]!, expected);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the bearer scheme is case-insensitive (RFC 7235); a wrong token still gets 401', async () => {
  const d = await startDaemon();
  try {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const res = await fetch(`${d.host}/v1/status`, { headers: { authorization: `${scheme} ${d.token}` } });
      assert.equal(res.status, 200, scheme);
    }
    for (const h of [`Basic ${d.token}`, `Bearer ${d.token}x`, `Bearer`, `Bearer  `, d.token]) {
      assert.equal((await fetch(`${d.host}/v1/status`, { headers: { authorization: h } })).status, 401, h);
    }
  } finally {
    await d.stop();
  }
});
