import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { PullProgress } from '../../contracts/images.js';
import { InvalidArgument, NotFound } from '../../kernel/errors.js';
import { BlobStore, DigestMismatch, sha256 } from './blob-store.js';
import { DEFAULT_LIMITS } from './limits.js';
import { LayerFetcher } from './layer-fetch.js';
import { MT } from './media-types.js';
import { RegistryClient } from './registry-client.js';
import { chainIds, SnapshotStore } from './snapshots.js';
import { makeTar } from './tar-fixture.test-util.js';

async function rig(fn: (f: LayerFetcher, blobs: BlobStore, snapshots: SnapshotStore) => Promise<void>, maxLayers = DEFAULT_LIMITS.maxLayers): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-layers-'));
  const client = new RegistryClient({ insecure: [], credentials: async () => undefined });
  try {
    const blobs = new BlobStore(dir);
    await blobs.init();
    const snapshots = new SnapshotStore(path.join(dir, 'snapshots'));
    await snapshots.init();
    const f = new LayerFetcher({ blobs, snapshots, client, limits: { ...DEFAULT_LIMITS, maxLayers }, maxConcurrentDownloads: 2, retries: 0, chown: false });
    await fn(f, blobs, snapshots);
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A gzip layer in the blob store, with its descriptor and diff id. */
async function layer(blobs: BlobStore, files: Record<string, string>) {
  const tar = makeTar(Object.entries(files).map(([p, body]) => ({ path: p, body })));
  const gz = gzipSync(tar);
  const digest = await blobs.put(gz);
  return { desc: { mediaType: MT.ociLayerGzip, digest, size: gz.length }, diffId: sha256(tar) };
}

test('local layers become snapshots in order, with progress, and a second unpack finds them existing', async () => {
  await rig(async (f, blobs, snapshots) => {
    const a = await layer(blobs, { 'etc/a': 'base' });
    const b = await layer(blobs, { 'etc/b': 'top' });
    const events: PullProgress[] = [];
    await f.unpackLayers(undefined, [a.desc, b.desc], [a.diffId, b.diffId], (p) => events.push(p));
    const [ca, cb] = chainIds([a.diffId, b.diffId]);
    assert.equal(await readFile(path.join(snapshots.fs(ca!), 'etc/a'), 'utf8'), 'base');
    assert.equal(await readFile(path.join(snapshots.fs(cb!), 'etc/b'), 'utf8'), 'top');
    assert.equal((await snapshots.meta(cb!)).parent, ca);
    assert.ok(events.some((e) => e.layer === b.desc.digest && e.status === 'done'));
    assert.equal(f.busy, false);
    const again: PullProgress[] = [];
    await f.unpackLayers(undefined, [a.desc, b.desc], [a.diffId, b.diffId], (p) => again.push(p));
    assert.deepEqual(again.map((e) => e.status), ['exists', 'exists']);
  });
});

test('a layer whose content does not match its diff id leaves no snapshot and no temp dir', async () => {
  await rig(async (f, blobs, snapshots) => {
    const a = await layer(blobs, { x: '1' });
    const wrong = sha256('something else');
    await assert.rejects(f.unpackLayers(undefined, [a.desc], [wrong]), DigestMismatch);
    assert.equal(await snapshots.has(chainIds([wrong])[0]!), false);
    assert.deepEqual((await readdir(snapshots.root)).filter((n) => n.startsWith('.tmp-')), []);
  });
});

test('without a registry a missing blob is NotFound, and too many layers are refused before any work', async () => {
  await rig(async (f) => {
    const missing = { mediaType: MT.ociLayerGzip, digest: sha256('absent'), size: 6 };
    await assert.rejects(f.unpackLayers(undefined, [missing], [sha256('x')]), (e) => e instanceof NotFound && /missing from the local store/.test(e.message));
  });
  await rig(async (f, blobs) => {
    const a = await layer(blobs, { x: '1' });
    await assert.rejects(f.unpackLayers(undefined, [a.desc, a.desc], [a.diffId, a.diffId]), (e) => e instanceof InvalidArgument && /2 layers; images may have at most 1/.test(e.message));
  }, 1);
});
