// Fuzzing the whole path from a docker-save archive to a container root filesystem: load
// (archive.ts), per-layer extraction (unpack.ts), cross-layer settling (snapshots.ts), and both
// root filesystem builds, an overlay mount (including the many-layer case past the old 58-layer
// limit) and the confined copy. Layers are drawn from a hostile vocabulary: "..", absolute paths,
// symlinks and hard links pointing at a canary tree outside the data dir, whiteouts of parents,
// opaque directories, devices, repeated paths of other types.
// Properties: loading either works or is refused as an InvalidArgument (never a 500); the canary
// tree never changes; the overlay view and the copy agree entry for entry (same union semantics);
// removing the root filesystems leaves no mount behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { RootfsManager, mountsUnder } from '../../src/modules/images/rootfs.js';
import type { FixtureEntry } from '../../src/modules/images/tar-fixture.test-util.js';
import { dockerSave, imagesService, type TestImages } from '../images/archive-fixture.js';
import { assertClientError, budget, fingerprint, fuzz, makeCanary } from './images-fuzz-support.js';

const skip = process.getuid?.() !== 0 ? 'overlay mounts need root' : false;
let tmp: string;
let canary: string;
let s: TestImages;
let copies: RootfsManager;

before(async () => {
  if (skip) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-fuzz-layers-'));
  canary = await mkdtemp(path.join(os.tmpdir(), 'llmos-fuzz-canary-'));
  await makeCanary(canary);
  s = await imagesService(tmp);
  copies = new RootfsManager(path.join(s.dir, 'rootfs-copy'), s.svc.snapshots, { overlay: false });
  await copies.init();
});

after(async () => {
  if (skip) return;
  for (const r of await copies.list()) await copies.remove(r.containerId);
  await s.close();
  await rm(tmp, { recursive: true, force: true });
  await rm(canary, { recursive: true, force: true });
});

/** What a container would see: type, permissions, content and link targets (not sizes or times). */
async function view(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const p = rel ? path.join(dir, rel) : dir;
    const st = await lstat(p);
    const perm = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out.push(`${rel}/ d ${perm}`);
      for (const n of (await readdir(p)).sort()) await walk(rel ? `${rel}/${n}` : n);
    } else if (st.isFile()) out.push(`${rel} f ${perm} ${createHash('sha256').update(await readFile(p)).digest('hex').slice(0, 12)}`);
    else if (st.isSymbolicLink()) out.push(`${rel} l -> ${await readlink(p)}`);
    else out.push(`${rel} other ${st.mode.toString(8)}`);
  };
  await walk('');
  return out;
}

function layersArb(canaryDir: string): fc.Arbitrary<{ layers: FixtureEntry[][]; many: number; at: number }> {
  const seg = fc.oneof(
    { weight: 60, arbitrary: fc.constantFrom('a', 'b', 'etc', 'x') },
    { weight: 4, arbitrary: fc.constantFrom('.wh.a', '.wh.etc', '.wh.b', '.wh..wh..opq', '.', '') },
    { weight: 1, arbitrary: fc.constantFrom('..', '.wh.', '.wh..', 'x') },
  );
  const rel = fc.array(seg, { minLength: 1, maxLength: 3 }).map((a) => a.join('/'));
  const anyPath = fc.oneof({ weight: 200, arbitrary: rel }, { weight: 1, arbitrary: rel.map((p) => `/${p}`) }, { weight: 1, arbitrary: fc.constant(`${canaryDir}/secret.txt`) });
  const escape = '../'.repeat(24) + canaryDir.slice(1);
  const target = fc.oneof(
    fc.constantFrom(canaryDir, `${canaryDir}/secret.txt`, `${canaryDir}/dir`, escape, `${escape}/dir`, '../../../..', '/', '.', 'a', '../a', 'etc/x', 'b/..'),
    rel,
  );
  const entry: fc.Arbitrary<FixtureEntry> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ type: fc.constant('File' as const), path: anyPath, body: fc.constantFrom('x', 'pwned', ''), mode: fc.constantFrom(0o644, 0o755, 0o4755, 0o600) }) },
    { weight: 3, arbitrary: fc.record({ type: fc.constant('Directory' as const), path: anyPath, mode: fc.constantFrom(0o755, 0o700, 0o1777, 0o555) }) },
    { weight: 3, arbitrary: fc.record({ type: fc.constant('SymbolicLink' as const), path: anyPath, linkpath: target }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('Link' as const), path: anyPath, linkpath: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('a', 'b', 'x', 'etc/x', 'a/b') }, { weight: 1, arbitrary: target }) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('FIFO' as const, 'CharacterDevice' as const), path: anyPath }) },
  );
  return fc.record({
    layers: fc.array(fc.array(entry, { maxLength: 8 }), { minLength: 1, maxLength: 4 }),
    // Sometimes pad to more layers than one page of snapshot paths held (the old fallback).
    many: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 56, max: 90 }) }),
    at: fc.nat(),
  });
}

test('fuzz: hostile layer stacks never write outside the root; overlay and copy agree', { skip, timeout: 30 * 60_000 }, async () => {
  const before = await fingerprint(canary);
  let n = 0;
  let loaded = 0;
  let refused = 0;
  const reasons = new Map<string, number>();
  const runs = await fuzz(
    'layers',
    layersArb(canary),
    async ({ layers, many, at }) => {
      const i = n++;
      const all = [...layers];
      if (many) all.splice(at % (all.length + 1), 0, ...Array.from({ length: many }, (_, k): FixtureEntry[] => [{ path: `filler/f${k}`, body: String(k) }]));
      const tag = `fz${i}:1`;
      try {
        const ok = await s.load(dockerSave(all, { tag })).then(
          () => true,
          (e: unknown) => {
            assertClientError(e, 'load');
            const why = (e as Error).message.replace(/"[^"]*"/g, '"…"').replace(/sha256:[a-f0-9]+/g, 'sha256:…').slice(0, 70);
            reasons.set(why, (reasons.get(why) ?? 0) + 1);
            return false;
          },
        );
        assert.equal(await fingerprint(canary), before, 'the canary tree is unchanged after load');
        assert.deepEqual((await readdir(s.svc.snapshots.root)).filter((x) => x.startsWith('.tmp-')), [], 'no temp snapshot is left behind');
        if (!ok) {
          refused++;
          return;
        }
        loaded++;
        const img = (await s.svc.listStored()).find((x) => x.repoTags.includes(`docker.io/library/${tag}`) || x.repoTags.includes(tag));
        assert.ok(img, 'the loaded image is listed');
        const o = await s.svc.createRootfs(img.id, `o${i}`);
        const c = await copies.create(`c${i}`, img.id, img.chainIds, false);
        assert.equal(await fingerprint(canary), before, 'the canary tree is unchanged after building root filesystems');
        assert.ok((await mountsUnder(o.path)).includes(o.path), 'the overlay is mounted');
        assert.deepEqual(await view(o.path), await view(c.path), 'overlay view and confined copy agree');
        await s.svc.removeRootfs(`o${i}`);
        await copies.remove(`c${i}`);
        await s.svc.remove(img.id, { force: true });
        assert.deepEqual(await mountsUnder(s.dir), [], 'no mount left');
      } catch (e) {
        // Leave the next case a clean store, then report.
        for (const id of await s.svc.listRootfs()) await s.svc.removeRootfs(id);
        for (const r of await copies.list()) await copies.remove(r.containerId);
        throw e;
      }
    },
    budget(60),
  );
  console.log(`# fuzz layers: ${runs} stacks, ${loaded} loaded, ${refused} refused as invalid`);
  for (const [why, k] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`#   ${k} x ${why}`);
  assert.equal(await fingerprint(canary), before);
});
