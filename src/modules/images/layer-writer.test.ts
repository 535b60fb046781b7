import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LayerWriter, UnsafeArchive } from './layer-writer.js';

function withRoot(fn: (root: string, w: LayerWriter) => void): void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'llmos-layer-writer-'));
  try {
    fn(root, new LayerWriter(root, false, () => false, (e) => assert.fail(String(e))));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const m = (mode: number) => ({ mode, uid: 0, gid: 0, mtime: new Date(1_000_000) });

test('LayerWriter: implicit parents are recorded, directory modes land last, whiteouts and opaques are noted', () =>
  withRoot((root, w) => {
    w.symlink('a/b/link', '/bin/busybox', m(0o777));
    assert.deepEqual([...w.implicit].sort(), ['a', 'a/b']);
    w.directory('a', m(0o750));
    assert.deepEqual([...w.implicit], ['a/b'], 'a has its own entry now');
    assert.equal(readlinkSync(path.join(root, 'a/b/link')), '/bin/busybox');
    w.whiteout('a/.wh.gone', 'gone', 'a', false);
    w.whiteout('a/b/.wh..wh..opq', '.wh..opq', 'a/b', true);
    assert.deepEqual([...w.whiteouts], ['a/gone']);
    assert.deepEqual([...w.opaques], ['a/b']);
    assert.throws(() => w.whiteout('a/.wh...', '..', 'a', false), UnsafeArchive);
    w.applyDirMeta();
    assert.equal(statSync(path.join(root, 'a')).mode & 0o7777, 0o750);
    assert.equal(statSync(root).mode & 0o7777, 0o755, 'a root without an entry gets 0755');
  }));

test('LayerWriter: never writes through a symlink; a hard link outside the layer waits for the lower layers', () =>
  withRoot((root, w) => {
    symlinkSync('/etc', path.join(root, 'etc'));
    assert.throws(() => w.directory('etc/evil', m(0o755)), /through the symlink "etc"/);
    assert.throws(() => w.hardLink('x', 'etc/passwd', m(0o644)), /goes through the symlink "etc"/);
    assert.throws(() => w.hardLink('x', '', m(0o644)), /points at the root/);
    w.hardLink('usr/bin/sh', 'bin/busybox', m(0o755));
    assert.deepEqual(w.lowerLinks.map((l) => [l.path, l.target]), [['usr/bin/sh', 'bin/busybox']]);
    assert.equal(lstatSync(path.join(root, 'usr/bin')).isDirectory(), true);
  }));
