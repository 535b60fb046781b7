// Issue 13 finding 1: an image must never write or delete host files. Before the fix, an image of
// about 58+ layers overflowed the overlay mount options and fell back to a `cp -a` / `rm` copy of
// the layers that followed a lower layer's symlinks: `owned -> HOSTDIR/secret.txt` in layer 0 and a
// file `owned` in layer 1 overwrote the host file; `etc -> HOSTDIR` plus `etc/.wh.canary` deleted
// one. The copy mode (no overlayfs) was as vulnerable. Each attack runs in both modes, with a
// canary directory outside the data dir; then a 100-layer image must still mount and be right.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mountsUnder } from '../../src/modules/images/rootfs.js';
import { InvalidArgument } from '../../src/kernel/errors.js';
import type { FixtureEntry } from '../../src/modules/images/tar-fixture.test-util.js';
import { dockerSave, imagesService } from './archive-fixture.js';

const skip = process.getuid?.() !== 0 ? 'mounting overlayfs needs root' : false;
let tmp: string;
let hostDir: string;

before(async () => {
  if (skip) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-hostile-'));
  hostDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-canary-'));
});

after(async () => {
  if (skip) return;
  await rm(tmp, { recursive: true, force: true });
  await rm(hostDir, { recursive: true, force: true });
});

/** Layers 2..n-1: one distinct file each, so the image needs more lowerdirs than one page holds. */
const fillers = (from: number, n: number): FixtureEntry[][] => Array.from({ length: n - from }, (_, i) => [{ path: `filler/f${from + i}`, body: String(from + i) }]);

for (const overlay of [true, false]) {
  const mode = overlay ? 'overlay' : 'copy';

  test(`[${mode}] 60 layers: a layer-0 absolute symlink does not let layer 1 overwrite a host file`, { skip }, async () => {
    const secret = path.join(hostDir, `secret-${mode}.txt`);
    await writeFile(secret, 'host secret');
    const s = await imagesService(tmp, { overlay });
    try {
      const archive = dockerSave([[{ path: 'owned', type: 'SymbolicLink', linkpath: secret }], [{ path: 'owned', body: 'pwned' }], ...fillers(2, 60)], { tag: `owned-${mode}:1` });
      await s.load(archive);
      const r = await s.svc.createRootfs(`owned-${mode}:1`, `owned-${mode}`).catch((e: Error) => e);
      assert.equal(await readFile(secret, 'utf8'), 'host secret', 'the host file is untouched');
      if (r instanceof Error) throw r;
      // In the image, layer 1's file replaced layer 0's symlink.
      assert.ok((await lstat(path.join(r.path, 'owned'))).isFile());
      assert.equal(await readFile(path.join(r.path, 'owned'), 'utf8'), 'pwned');
      assert.equal(await readFile(path.join(r.path, 'filler/f59'), 'utf8'), '59');
      if (overlay) assert.ok((await mountsUnder(r.path)).includes(r.path), '60 layers still mount as one overlay');
    } finally {
      await s.close();
    }
    assert.equal(await readFile(secret, 'utf8'), 'host secret');
  });

  test(`[${mode}] 60 layers: etc -> HOSTDIR plus etc/.wh.canary does not delete a host file`, { skip }, async () => {
    const victim = path.join(hostDir, `victim-${mode}`);
    await mkdir(victim);
    await writeFile(path.join(victim, 'canary'), 'alive');
    const s = await imagesService(tmp, { overlay });
    try {
      const archive = dockerSave([[{ path: 'etc', type: 'SymbolicLink', linkpath: victim }], [{ path: 'etc/', type: 'Directory' }, { path: 'etc/.wh.canary' }, { path: 'etc/hosts', body: 'h' }], ...fillers(2, 60)], { tag: `wh-${mode}:1` });
      await s.load(archive);
      const r = await s.svc.createRootfs(`wh-${mode}:1`, `wh-${mode}`).catch((e: Error) => e);
      assert.deepEqual(await readdir(victim), ['canary'], 'the host file still exists');
      if (r instanceof Error) throw r;
      assert.ok((await lstat(path.join(r.path, 'etc'))).isDirectory(), 'layer 1 directory replaced the symlink');
      assert.deepEqual(await readdir(path.join(r.path, 'etc')), ['hosts']);
    } finally {
      await s.close();
    }
    assert.deepEqual(await readdir(victim), ['canary']);
  });

  test(`[${mode}] 100 layers: the top layers win, whiteouts and opaque directories are honoured`, { skip }, async () => {
    const layers: FixtureEntry[][] = Array.from({ length: 100 }, (_, i) => [{ path: 'layer', body: String(i) }, { path: `each/f${i}`, body: String(i) }]);
    layers[10]!.push({ path: 'dir/gone', body: 'x' }, { path: 'dir/kept', body: 'k' });
    layers[60]!.push({ path: 'dir/.wh.gone' });
    layers[20]!.push({ path: 'opq/a', body: 'a' });
    layers[70]!.push({ path: 'opq/.wh..wh..opq' }, { path: 'opq/b', body: 'b' });
    layers[30]!.push({ path: 'link', type: 'SymbolicLink', linkpath: '/each/f30' });
    layers[90]!.push({ path: 'link', body: 'file now' });
    const s = await imagesService(tmp, { overlay });
    try {
      await s.load(dockerSave(layers, { tag: `many-${mode}:1` }));
      const r = await s.svc.createRootfs(`many-${mode}:1`, `many-${mode}`);
      if (overlay) assert.ok((await mountsUnder(r.path)).includes(r.path), '100 layers mount as overlayfs');
      assert.equal(await readFile(path.join(r.path, 'layer'), 'utf8'), '99');
      assert.equal((await readdir(path.join(r.path, 'each'))).length, 100);
      assert.deepEqual((await readdir(path.join(r.path, 'dir'))).sort(), ['kept']);
      assert.deepEqual((await readdir(path.join(r.path, 'opq'))).sort(), ['b']);
      assert.equal(await readFile(path.join(r.path, 'link'), 'utf8'), 'file now');
      await assert.rejects(access(path.join(r.path, 'dir/gone')));
      // Writes go to the container's own upper layer (or copy), not to the snapshots.
      await writeFile(path.join(r.path, 'layer'), 'mine');
      const r2 = await s.svc.createRootfs(`many-${mode}:1`, `many2-${mode}`);
      assert.equal(await readFile(path.join(r2.path, 'layer'), 'utf8'), '99');
      await s.svc.removeRootfs(`many-${mode}`);
      assert.deepEqual(await mountsUnder(path.dirname(r.path)), []);
    } finally {
      await s.close();
    }
  });
}

test('an image of more than 127 layers is refused with a clear error, nothing kept', { skip }, async () => {
  const s = await imagesService(tmp);
  try {
    const err = await s.load(dockerSave(fillers(0, 128), { tag: 'toomany:1' })).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof InvalidArgument, `InvalidArgument, got ${String(err)}`);
    assert.match((err as Error).message, /128 layers.*at most 127/);
    assert.deepEqual(await s.svc.list(), []);
    assert.deepEqual(await s.svc.snapshots.list(), []);
    assert.deepEqual(await s.svc.blobs.list(), []);
  } finally {
    await s.close();
  }
});

test('a layer past the total decompressed size limit is refused, nothing kept (a decompression bomb)', { skip }, async () => {
  const s = await imagesService(tmp, { limits: { maxImageBytes: 1 << 20 } });
  try {
    const big = Buffer.alloc(600 << 10, 0x61);
    const err = await s.load(dockerSave([[{ path: 'a', body: big }], [{ path: 'b', body: big }]], { tag: 'bomb:1' })).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof InvalidArgument, `InvalidArgument, got ${String(err)}`);
    assert.match((err as Error).message, /decompressed size limit/);
    assert.deepEqual(await s.svc.list(), []);
    assert.deepEqual(await s.svc.snapshots.list(), []);
  } finally {
    await s.close();
  }
});
