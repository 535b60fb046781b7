import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataDirInUse, lockDataDir, lockFile } from './datadir-lock.js';

const here = path.dirname(fileURLToPath(import.meta.url));

test('data dir lock: another process is refused with the holder PID; released at exit, even by SIGKILL', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-lock-'));
  // A separate process holds the lock (fcntl locks are per process) and reports once it does.
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `
    const { lockDataDir } = await import(${JSON.stringify(path.join(here, 'datadir-lock.js'))});
    lockDataDir(${JSON.stringify(dir)});
    process.stdout.write('locked\\n');
    setInterval(() => undefined, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (b: Buffer) => b.toString().includes('locked') && resolve());
      holder.once('exit', (c) => reject(new Error(`holder exited ${c}`)));
    });
    assert.throws(() => lockDataDir(dir), (e: unknown) => {
      assert.ok(e instanceof DataDirInUse);
      assert.equal(e.pid, holder.pid);
      assert.match(e.message, new RegExp(`in use by another LLMOS daemon \\(PID ${holder.pid}\\)`));
      return true;
    });
    assert.equal((await stat(lockFile(dir))).mode & 0o777, 0o600);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const mine = lockDataDir(dir); // no stale lock: the kernel dropped it with the process
    mine.release();
    lockDataDir(dir).release(); // and release really releases
  } finally {
    if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
