// Fault: the store file is corrupted in the middle (garbage over a page of a stopped daemon's
// SQLite file). Boot must refuse, naming the file and `llmos store restore`; restoring the
// backup taken before boots with the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, stat, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli, startDaemon } from '../support/daemon.js';

const storeFile = (dataDir: string) => path.join(dataDir, 'modules', 'llmos.state-store.v1.sqlite', 'state.db');

test('store corrupted mid-file: boot refuses with the file and the way out; restore from a backup boots with the data', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-store-fault-'));
  const backup = path.join(tmp, 'backup.db');
  const d = await startDaemon();
  const dataDir = d.dataDir;
  const env = { ...process.env, LLMOS_DATA_DIR: dataDir, LLMOS_LOG_LEVEL: 'warn' } as Record<string, string>;
  try {
    // Enough rows that the file has many pages; then a backup through the running daemon's API.
    for (let i = 0; i < 60; i++) assert.equal((await d.api('POST', '/v1/namespaces', { name: `team-${i}` })).status, 201);
    const b = await d.cli(['store', 'backup', backup]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal((await stat(backup)).mode & 0o777, 0o600);
    const check = await d.cli(['store', 'check', '--json']);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(JSON.parse(check.stdout).via, 'api');
    // Restore is refused while the daemon holds the data dir.
    const busy = await d.cli(['store', 'restore', backup]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, new RegExp(`in use by another LLMOS daemon \\(PID ${d.proc.pid}\\)`));
    await d.stop({ keepData: true }); // a clean stop checkpoints the WAL into the file

    // Garbage over a page in the middle of the file that boot itself never reads (a leaf of the
    // watch history): the old daemon booted on this silently; only a check finds it.
    const file = storeFile(dataDir);
    const pages = (await stat(file)).size / 4096;
    const db = new Database(file, { readonly: true });
    const leaves = (db.prepare("SELECT pageno FROM dbstat WHERE name = 'history' AND pagetype = 'leaf' ORDER BY pageno").all() as Array<{ pageno: number }>).map((r) => r.pageno);
    db.close();
    assert.ok(leaves.length >= 2, `history has ${leaves.length} leaf pages`);
    const victim = leaves[Math.floor(leaves.length / 2)]!;
    assert.ok(victim > 1 && victim < pages, `page ${victim} of ${pages} is mid-file`);
    const fh = await open(file, 'r+');
    await fh.write(Buffer.alloc(4096, 0xa5), 0, 4096, (victim - 1) * 4096);
    await fh.close();

    const offline = await runCli(['store', 'check'], { env });
    assert.equal(offline.code, 1, offline.stdout);
    assert.match(offline.stdout, /CORRUPT/);

    const refused = await runCli(['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0'], { env, timeoutMs: 30_000 });
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /^llmos: .*state store .*state\.db is corrupt/);
    assert.match(refused.stderr, /llmos store restore/);

    const restored = await runCli(['store', 'restore', backup], { env });
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /restored .*state\.db.* previous store is kept as /);
    const again = await startDaemon({ dataDir });
    try {
      const ns = await again.api<{ namespaces: Array<{ name: string }> }>('GET', '/v1/namespaces');
      assert.equal(ns.status, 200);
      for (let i = 0; i < 60; i++) assert.ok(ns.body.namespaces.some((n) => n.name === `team-${i}`), `team-${i} restored`);
      assert.equal((await again.api('POST', '/v1/namespaces', { name: 'after-restore' })).status, 201);
    } finally {
      await again.stop({ keepData: true });
    }
  } finally {
    await d.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(tmp, { recursive: true, force: true });
  }
});

test('restore killed at each of its steps leaves the old store or the new one, never none; rerunning it finishes', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-restore-fault-'));
  const backup = path.join(tmp, 'backup.db');
  const trace = path.join(tmp, 'trace');
  const d = await startDaemon();
  const dataDir = d.dataDir;
  const env = { ...process.env, LLMOS_DATA_DIR: dataDir, LLMOS_LOG_LEVEL: 'warn' } as Record<string, string>;
  const names = async () => {
    const x = await startDaemon({ dataDir });
    try {
      return (await x.api<{ namespaces: Array<{ name: string }> }>('GET', '/v1/namespaces')).body.namespaces.map((n) => n.name);
    } finally {
      await x.stop({ keepData: true });
    }
  };
  try {
    assert.equal((await d.api('POST', '/v1/namespaces', { name: 'in-both' })).status, 201);
    assert.equal((await d.cli(['store', 'backup', backup])).code, 0);
    assert.equal((await d.api('POST', '/v1/namespaces', { name: 'only-old' })).status, 201);
    await d.stop({ keepData: true });
    // Count the steps once, then kill the restore at each.
    assert.equal((await runCli(['store', 'restore', backup], { env: { ...env, LLMOS_FAULT_TRACE: trace, LLMOS_FAULT_SCOPE: 'store.restore' } })).code, 0);
    const steps = (await readFile(trace, 'utf8')).trim().split('\n');
    assert.deepEqual(steps, ['store.restore.copy', 'store.restore.keep-old', 'store.restore.swap']);
    for (let n = 1; n <= steps.length; n++) {
      // Put the old state back (the previous round restored the backup): the namespace only the old store has.
      const x = await startDaemon({ dataDir });
      if (!(await x.api<{ namespaces: Array<{ name: string }> }>('GET', '/v1/namespaces')).body.namespaces.some((ns) => ns.name === 'only-old')) {
        assert.equal((await x.api('POST', '/v1/namespaces', { name: 'only-old' })).status, 201);
      }
      await x.stop({ keepData: true });
      const killed = await runCli(['store', 'restore', backup], { env: { ...env, LLMOS_FAULT_SCOPE: 'store.restore', LLMOS_FAULT_KILL_AT: String(n) } });
      assert.notEqual(killed.code, 0, `killed at ${steps[n - 1]}`);
      const after = await names(); // boots: the old store or the new one is in place
      assert.ok(after.includes('in-both'), `after a kill at ${steps[n - 1]}: ${after.join(',')}`);
      assert.equal((await runCli(['store', 'restore', backup], { env })).code, 0, `rerun after a kill at ${steps[n - 1]}`);
      assert.ok(!(await names()).includes('only-old'), 'the rerun restored the backup');
    }
  } finally {
    await d.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(tmp, { recursive: true, force: true });
  }
});
