import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BlobStore } from './blob-store.js';
import { ImageContent } from './content.js';
import { SnapshotStore } from './snapshots.js';

test('ImageContent: blobs by digest through the service API (put, stream, read, file, delete); no layers -> size 0', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-content-'));
  try {
    const blobs = new BlobStore(dir);
    await blobs.init();
    const snaps = new SnapshotStore(path.join(dir, 'snapshots'));
    await snaps.init();
    const c = new ImageContent(blobs, snaps);
    const bytes = Buffer.from('hello');
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    assert.equal(await c.put(bytes), digest);
    assert.equal(await c.has(digest), true);
    assert.deepEqual(await readFile(c.file(digest)), bytes);
    const streamed = await c.putStream(Readable.from([Buffer.from('world')]));
    assert.equal(streamed.size, 5);
    assert.equal((await c.read(streamed.digest)).toString(), 'world');
    await assert.rejects(c.put(bytes, 'sha256:' + '0'.repeat(64)), /does not match/);
    assert.equal(await c.delete(digest), 5);
    assert.equal(await c.has(digest), false);
    assert.equal(await c.layerSize([]), 0);
    assert.ok(c.scratchDir.startsWith(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
