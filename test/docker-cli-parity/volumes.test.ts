// Named volumes through the real CLI: -v NAME:/path is a volume (a bare name), a path is a bind
// mount; a new volume is filled from the image's files at that path (Docker's copy-up); data
// outlives the container; rm is refused while a container uses it; prune removes unused ones.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);

describe('docker parity: volumes', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let tmp: string;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/vol', { cmd: ['/bin/sh'], env: ['PATH=/bin'], files: { '/data/seed': 'from-image\n', '/etc/evil/placeholder': 'x' } })).ref;
    d = await startDaemon();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-vol-'));
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('-v NAME:/path is a named volume, copied up from the image, that outlives the container', async () => {
    const r = await d.cli(['run', '--rm', '-v', 'data1:/data', image, 'sh', '-c', 'cat /data/seed; echo written > /data/new']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from-image\n');
    assert.ok(!existsSync(path.join(process.cwd(), 'data1')), 'not a relative host path');
    const again = await d.cli(['run', '--rm', '-v', 'data1:/data:ro', image, 'sh', '-c', 'cat /data/new; touch /data/x 2>/dev/null || echo read-only']);
    assert.equal(again.stdout, 'written\nread-only\n');
    const ls = await d.cli(['volume', 'ls', '--json']);
    const vols = JSON.parse(ls.stdout) as Array<{ name: string; mountpoint: string; usedBy: string[] }>;
    assert.deepEqual(vols.map((v) => v.name), ['data1']);
    assert.equal(await readFile(path.join(vols[0]!.mountpoint, 'new'), 'utf8'), 'written\n');
    assert.ok(vols[0]!.mountpoint.startsWith(d.dataDir), 'kept in the data dir');
  });

  test('a path is a bind mount (absolute or ./relative)', async () => {
    await writeFile(path.join(tmp, 'f'), 'host-file\n');
    const r = await d.cli(['run', '--rm', '-v', `${tmp}:/h`, image, 'cat', '/h/f']);
    assert.equal(r.stdout, 'host-file\n', r.stderr);
  });

  test('create, inspect, rm refused while used, prune removes only unused volumes', async () => {
    assert.equal((await d.cli(['volume', 'create', 'keep'])).stdout.trim(), 'keep');
    assert.equal((await d.cli(['volume', 'create', 'spare'])).code, 0);
    const bad = await d.cli(['volume', 'create', '../x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^llmos: invalid volume name/);
    const c = await d.cli(['run', '-d', '--name', 'user', '-v', 'keep:/k', image, 'sleep', '300']);
    assert.equal(c.code, 0, c.stderr);
    const refused = await d.cli(['volume', 'rm', 'keep']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /volume keep is in use by container/);
    const pruned = await d.cli(['volume', 'prune', '--json']);
    assert.deepEqual((JSON.parse(pruned.stdout) as { removed: string[] }).removed.sort(), ['data1', 'spare']);
    const info = JSON.parse((await d.cli(['volume', 'inspect', 'keep'])).stdout) as Array<{ usedBy: string[] }>;
    assert.equal(info[0]!.usedBy.length, 1);
    await d.cli(['rm', '-f', 'user']);
    assert.equal((await d.cli(['volume', 'rm', 'keep'])).code, 0);
    const missing = await d.cli(['volume', 'inspect', 'keep']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such volume: keep/);
  });

  test('an anonymous volume (-v /path) goes with its --rm container', async () => {
    const r = await d.cli(['run', '--rm', '-v', '/data', image, 'cat', '/data/seed']);
    assert.equal(r.stdout, 'from-image\n', r.stderr);
    assert.deepEqual(JSON.parse((await d.cli(['volume', 'ls', '--json'])).stdout), []);
  });
});
