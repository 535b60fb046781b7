// Fault: the data dir's filesystem fills up. A small loop-mounted ext4 is the data dir; a file
// fills it. Writes must answer 507 "no space left in DATA_DIR", reads keep working, the daemon
// lives, a restart boots on the full disk, and writes work again once space is freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startDaemon, type TestDaemon } from '../support/daemon.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

async function has(bin: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${bin}`]).then(() => true, () => false);
}

const avail = async (dir: string): Promise<number> => Number((await run('df', ['--output=avail', '-B1', dir])).stdout.trim().split('\n').at(-1));

/** Fills the filesystem: 1 MiB blocks until ENOSPC, then 1 KiB blocks, again while the daemon frees some. */
async function fill(dir: string): Promise<void> {
  await run('dd', ['if=/dev/zero', `of=${path.join(dir, 'fill-big')}`, 'bs=1M']).catch(() => undefined); // ends with ENOSPC by design
  for (let i = 0; i < 20 && (await avail(dir)) > 0; i++) {
    await run('dd', ['if=/dev/zero', `of=${path.join(dir, `fill-${i}`)}`, 'bs=1k']).catch(() => undefined);
  }
  assert.equal(await avail(dir), 0, 'the filesystem is full');
}

async function unfill(dir: string): Promise<void> {
  for (const f of await readdir(dir)) if (f.startsWith('fill-')) await rm(path.join(dir, f));
}

test('disk full: 507 on writes, reads served, no crash, boots on the full disk, writes resume when space returns', { skip: !isRoot ? 'needs root (mount -o loop)' : false }, async (t) => {
  if (!(await has('mkfs.ext4'))) return t.skip('mkfs.ext4 is not installed');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-disk-'));
  const img = path.join(tmp, 'fs.img');
  const mnt = path.join(tmp, 'mnt');
  let mounted = false;
  let d: TestDaemon | undefined;
  try {
    await run('truncate', ['-s', '32M', img]);
    await run('mkfs.ext4', ['-q', '-m', '0', img]); // -m 0: no blocks reserved for root, so root can fill it
    await mkdir(mnt);
    await run('mount', ['-o', 'loop', img, mnt]);
    mounted = true;
    const dataDir = path.join(mnt, 'data');
    d = await startDaemon({ dataDir });
    assert.equal((await d.api('POST', '/v1/namespaces', { name: 'before' })).status, 201);
    // A running workload: a function deployed before the disk fills must keep answering.
    const code = path.join(tmp, 'hello.js');
    await writeFile(code, "export default { fetch: () => new Response('still serving') };\n");
    const dep = await d.cli(['fn', 'deploy', 'hello', '--code', code, '--min', '1']);
    assert.equal(dep.code, 0, dep.stderr);
    const invoke = async (daemon: TestDaemon) => {
      const r = await fetch(`${daemon.gateway}/fn/hello/`);
      return { status: r.status, body: await r.text() };
    };
    assert.deepEqual(await invoke(d), { status: 200, body: 'still serving' });

    await fill(mnt);
    // Writes: the first that needs a new block fails; none may be a 500 or kill the daemon.
    const statuses: number[] = [];
    let full: { status: number; body: { error: string; code: string } } | undefined;
    for (let i = 0; i < 200 && !full; i++) {
      const r = await d.api<{ error: string; code: string }>('POST', '/v1/namespaces', { name: `ns-${i}` });
      statuses.push(r.status);
      if (r.status === 507) full = r;
    }
    assert.ok(full, `no write was refused: ${statuses.join(',')}`);
    assert.ok(statuses.every((s) => s === 201 || s === 507), statuses.join(','));
    assert.match(full.body.error, /no space left in DATA_DIR/);
    assert.equal(full.body.code, 'E_NO_SPACE');
    // Reads go on, and the daemon is alive (its log cannot be written either).
    const ns = await d.api<{ namespaces: Array<{ name: string }> }>('GET', '/v1/namespaces');
    assert.equal(ns.status, 200);
    assert.ok(ns.body.namespaces.some((n) => n.name === 'before'));
    assert.equal((await d.api('GET', '/v1/status')).status, 200);
    assert.equal(d.proc.exitCode, null, 'the daemon is running');
    assert.deepEqual(await invoke(d), { status: 200, body: 'still serving' }, 'the workload runs on a full disk');

    // A restart on the full disk boots (read-only until space returns).
    await d.stop({ keepData: true });
    d = await startDaemon({ dataDir });
    assert.equal((await d.api('GET', '/v1/status')).status, 200);
    const again = await d.api<{ namespaces: Array<{ name: string }> }>('GET', '/v1/namespaces');
    assert.ok(again.body.namespaces.some((n) => n.name === 'before'), 'acknowledged data survived');
    assert.deepEqual(await invoke(d), { status: 200, body: 'still serving' }, 'the workload starts again on a full disk');
    const refused = await d.api<{ error: string }>('POST', '/v1/namespaces', { name: 'while-full' });
    assert.equal(refused.status, 507, JSON.stringify(refused.body));
    assert.match(refused.body.error, /no space left in DATA_DIR/);

    // Space returns: writes work without a restart.
    await unfill(mnt);
    assert.equal((await d.api('POST', '/v1/namespaces', { name: 'after' })).status, 201);
    assert.equal(d.proc.exitCode, null);
  } finally {
    await d?.stop({ keepData: true });
    if (mounted) await run('umount', [mnt]); // mount -o loop set autoclear: the loop device goes with it
    const { stdout } = await run('losetup', ['-j', img]);
    assert.equal(stdout.trim(), '', 'no loop device left');
    await rm(tmp, { recursive: true, force: true });
  }
});
