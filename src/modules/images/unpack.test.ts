import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { createExtractor, safeRelPath, UnsafeArchive, type ExtractResult } from './unpack.js';
import { finalizeLayer, type Lower } from './snapshots.js';
import { makeTar, type FixtureEntry } from './tar-fixture.test-util.js';

async function extract(root: string, entries: FixtureEntry[]): Promise<ExtractResult> {
  const ex = createExtractor(root, { chown: false });
  await pipeline(Readable.from([makeTar(entries)]), ex.stream);
  return ex.result();
}

async function sandbox<T>(fn: (dir: string, root: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-unpack-'));
  const root = path.join(dir, 'root');
  await mkdir(root);
  try {
    return await fn(dir, root);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('safeRelPath refuses absolute paths and ..', () => {
  assert.equal(safeRelPath('./a//b/./c'), 'a/b/c');
  assert.equal(safeRelPath('./'), '');
  assert.throws(() => safeRelPath('/etc/passwd'), UnsafeArchive);
  assert.throws(() => safeRelPath('a/../../b'), /escapes/);
});

test('extracts files, dirs, symlinks, hard links, modes and mtimes; skips devices; records whiteouts', () =>
  sandbox(async (_dir, root) => {
    const r = await extract(root, [
      { path: 'bin/', type: 'Directory', mode: 0o750 },
      { path: 'bin/busybox', body: 'elf', mode: 0o4755 },
      { path: 'bin/sh', type: 'SymbolicLink', linkpath: '/bin/busybox' },
      { path: 'bin/ash', type: 'Link', linkpath: 'bin/busybox' },
      { path: 'dev/null', type: 'CharacterDevice' },
      { path: 'etc/.wh.hosts' },
      { path: 'var/.wh..wh..opq' },
      { path: 'deep/a/b/file', body: 'x' },
    ]);
    assert.equal((await lstat(path.join(root, 'bin'))).mode & 0o7777, 0o750);
    const bb = await lstat(path.join(root, 'bin/busybox'));
    assert.equal(bb.mode & 0o7777, 0o4755);
    assert.equal(bb.mtimeMs, 1_700_000_000_000);
    assert.equal(bb.nlink, 2, 'hard link shares the inode');
    assert.equal(await readlink(path.join(root, 'bin/sh')), '/bin/busybox');
    await assert.rejects(lstat(path.join(root, 'dev/null')));
    assert.equal(r.skipped, 1);
    assert.deepEqual(r.whiteouts, ['etc/hosts']);
    assert.deepEqual(r.opaques, ['var']);
    assert.deepEqual(r.implicitDirs.sort(), ['deep', 'deep/a', 'deep/a/b', 'etc', 'var']);
  }));

const hostile: Array<[string, FixtureEntry[], RegExp]> = [
  ['dot-dot path', [{ path: '../escape', body: 'x' }], /escapes the root/],
  ['absolute path', [{ path: '/tmp/escape', body: 'x' }], /absolute/],
  ['write through own symlink', [{ path: 'etc', type: 'SymbolicLink', linkpath: '/' }, { path: 'etc/passwd', body: 'root::0:0' }], /through the symlink "etc"/],
  ['write through relative symlink', [{ path: 'a', type: 'SymbolicLink', linkpath: '../..' }, { path: 'a/x', body: 'x' }], /symlink/],
  ['hard link out of root', [{ path: 'h', type: 'Link', linkpath: '../../etc/passwd' }], /escapes/],
  ['hard link through symlink', [{ path: 's', type: 'SymbolicLink', linkpath: '/etc' }, { path: 'h', type: 'Link', linkpath: 's/passwd' }], /through the symlink/],
  ['not a tar', [], /not a valid tar/],
];

for (const [name, entries, want] of hostile) {
  test(`hostile archive rejected: ${name}`, () =>
    sandbox(async (dir, root) => {
      const ex = createExtractor(root, { chown: false });
      const bytes = entries.length ? makeTar(entries) : Buffer.from('garbage'.repeat(100));
      await assert.rejects(pipeline(Readable.from([bytes]), ex.stream), want);
      assert.deepEqual((await readdir(dir)).sort(), ['root']);
    }));
}

test('an empty layer (only zero blocks, or no bytes) extracts to nothing', () =>
  sandbox(async (_dir, root) => {
    for (const bytes of [Buffer.alloc(1024), Buffer.alloc(0)]) {
      const ex = createExtractor(root, { chown: false });
      await pipeline(Readable.from([bytes]), ex.stream);
      assert.equal(ex.result().entries, 0);
    }
    assert.deepEqual(await readdir(root), []);
  }));

test('directory modes applied at the end never go through a symlink that replaced a parent', () =>
  sandbox(async (dir, root) => {
    const outside = path.join(dir, 'outside');
    await mkdir(path.join(outside, 'b'), { recursive: true, mode: 0o700 });
    await extract(root, [{ path: 'a/b/', type: 'Directory', mode: 0o777 }, { path: 'a', type: 'SymbolicLink', linkpath: outside }]);
    assert.equal((await lstat(path.join(outside, 'b'))).mode & 0o777, 0o700);
  }));

test('a symlink planted by a lower layer is not followed by an upper layer', () =>
  sandbox(async (dir, root) => {
    const lowerFs = path.join(dir, 'lower');
    await mkdir(lowerFs);
    await extract(lowerFs, [{ path: 'etc', type: 'SymbolicLink', linkpath: '/' }]);
    const r = await extract(root, [{ path: 'etc/passwd', body: 'pwned' }]);
    const lowers: Lower[] = [{ fs: lowerFs, whiteouts: new Set(), opaques: new Set() }];
    await assert.rejects(finalizeLayer(root, r, lowers, false), /lower layer made a symlink/);
    // An upper layer that replaces the symlink with a real directory is fine.
    await rm(root, { recursive: true });
    await mkdir(root);
    const ok = await extract(root, [{ path: 'etc/', type: 'Directory' }, { path: 'etc/passwd', body: 'ok' }]);
    await finalizeLayer(root, ok, lowers, false);
    assert.equal(await readFile(path.join(root, 'etc/passwd'), 'utf8'), 'ok');
  }));

test('finalizeLayer never follows a directory the layer later replaced with a symlink', () =>
  sandbox(async (dir, root) => {
    const lowerFs = path.join(dir, 'lower');
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    await mkdir(lowerFs);
    await extract(lowerFs, [{ path: 'd/x', body: 'lower' }, { path: 'bin/tool', body: 'T' }, { path: 'o/a', body: '1' }]);
    const lowers: Lower[] = [{ fs: lowerFs, whiteouts: new Set(), opaques: new Set() }];
    // A whiteout and an opaque marker in d and o, then d and o become symlinks out of the root.
    const r = await extract(root, [{ path: 'd/.wh.x' }, { path: 'o/.wh..wh..opq' }, { path: 'd', type: 'SymbolicLink', linkpath: outside }, { path: 'o', type: 'SymbolicLink', linkpath: outside }]);
    const fin = await finalizeLayer(root, r, lowers, false);
    assert.deepEqual(fin.whiteouts, []);
    assert.deepEqual(await readdir(outside), []);
    // A hard link to a lower file whose directory was then replaced by a symlink.
    await rm(root, { recursive: true });
    await mkdir(root);
    const r2 = await extract(root, [{ path: 'h/link', type: 'Link', linkpath: 'bin/tool' }, { path: 'h', type: 'SymbolicLink', linkpath: outside }]);
    await assert.rejects(finalizeLayer(root, r2, lowers, false), /replaced by a symlink/);
    assert.deepEqual(await readdir(outside), []);
  }));

test('finalizeLayer copies hard links to lower files and expands opaque dirs into whiteouts', () =>
  sandbox(async (dir, root) => {
    const lowerFs = path.join(dir, 'lower');
    await mkdir(lowerFs);
    await extract(lowerFs, [{ path: 'bin/tool', body: 'T', mode: 0o755 }, { path: 'var/a', body: '1' }, { path: 'var/b', body: '2' }]);
    const r = await extract(root, [{ path: 'bin/tool2', type: 'Link', linkpath: 'bin/tool' }, { path: 'var/.wh..wh..opq' }, { path: 'var/b', body: 'new' }]);
    const fin = await finalizeLayer(root, r, [{ fs: lowerFs, whiteouts: new Set(), opaques: new Set() }], false);
    assert.equal(await readFile(path.join(root, 'bin/tool2'), 'utf8'), 'T');
    assert.deepEqual(fin.whiteouts, ['var/a']);
    const wh = await lstat(path.join(root, 'var/a'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'overlayfs whiteout device');
  }));

// Random archives built from names that include "..", absolute paths and symlinks pointing out:
// whatever happens, nothing outside the root changes.
test('property: random tar archives (extraction and cross-layer finalisation) never write outside the root', async () => {
  const seg = fc.constantFrom('a', 'b', '..', '.', '', 'etc', 'x', '.wh.a', '.wh.x', '.wh..wh..opq');
  const p = fc.array(seg, { minLength: 1, maxLength: 4 }).chain((parts) => fc.boolean().map((abs) => (abs ? '/' : '') + parts.join('/')));
  const entry: fc.Arbitrary<FixtureEntry> = fc.oneof(
    fc.record({ path: p, type: fc.constant('File' as const), body: fc.string({ maxLength: 8 }) }),
    fc.record({ path: p, type: fc.constant('Directory' as const) }),
    fc.record({ path: p, type: fc.constant('SymbolicLink' as const), linkpath: fc.oneof(p, fc.constantFrom('/', '..', '../..', '../outside')) }),
    fc.record({ path: p, type: fc.constant('Link' as const), linkpath: p }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 8 }), (entries) =>
      sandbox(async (dir, root) => {
        const outside = path.join(dir, 'outside');
        await mkdir(outside);
        await writeFile(path.join(outside, 'keep'), 'k');
        for (const d of ['a', 'b', 'x', 'etc']) await mkdir(path.join(outside, d), { mode: 0o700 });
        const before = JSON.stringify(await Promise.all(['a', 'b', 'x', 'etc', 'keep'].map(async (n) => lstat(path.join(outside, n)).then((st) => [n, st.mode, st.mtimeMs, st.uid]))));
        // A lower layer with a symlink out of the sandbox, a directory and a file, for finalizeLayer.
        const lowerFs = path.join(dir, 'lower');
        await mkdir(lowerFs);
        await extract(lowerFs, [{ path: 'etc', type: 'SymbolicLink', linkpath: outside }, { path: 'a/x', body: 'l' }, { path: 'x', body: 'l' }, { path: 'b', type: 'SymbolicLink', linkpath: '../outside' }]);
        const ex = createExtractor(root, { chown: false });
        const ok = await pipeline(Readable.from([makeTar(entries)]), ex.stream).then(
          () => true,
          (e: unknown) => {
            if (!(e instanceof UnsafeArchive) && !/EEXIST|ENOTDIR|EISDIR|ENOENT|EPERM/.test(String(e))) throw e;
            return false;
          },
        );
        if (ok) {
          await finalizeLayer(root, ex.result(), [{ fs: lowerFs, whiteouts: new Set(), opaques: new Set() }], false).catch((e: unknown) => {
            if (!(e instanceof UnsafeArchive) && !/EEXIST|ENOTDIR|EISDIR|ENOENT/.test(String(e))) throw e;
          });
        }
        await rm(lowerFs, { recursive: true });
        assert.deepEqual((await readdir(dir)).sort(), ['outside', 'root']);
        assert.deepEqual((await readdir(outside)).sort(), ['a', 'b', 'etc', 'keep', 'x']);
        const afterStat = JSON.stringify(await Promise.all(['a', 'b', 'x', 'etc', 'keep'].map(async (n) => lstat(path.join(outside, n)).then((st) => [n, st.mode, st.mtimeMs, st.uid]))));
        assert.equal(afterStat, before, 'modes, mtimes and owners outside are untouched');
        for (const d of ['a', 'b', 'x', 'etc']) assert.deepEqual(await readdir(path.join(outside, d)), []);
        assert.equal(await readFile(path.join(outside, 'keep'), 'utf8'), 'k');
      }),
    ),
    { numRuns: 150 },
  );
});

test('a layer with more entries than the limit is refused (bounded extractor state)', () =>
  sandbox(async (_dir, root) => {
    const ex = createExtractor(root, { chown: false, maxEntries: 3 });
    const entries = Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, body: 'x' }));
    await assert.rejects(pipeline(Readable.from([makeTar(entries)]), ex.stream), /more than 3 entries/);
  }));
