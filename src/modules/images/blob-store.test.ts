import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BlobStore, DigestMismatch, sha256 } from './blob-store.js';

test('BlobStore verifies digests and stores nothing on a mismatch', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-blobs-'));
  try {
    const s = new BlobStore(dir);
    await s.init();
    const d = await s.put(Buffer.from('hello'));
    assert.equal(d, sha256('hello'));
    assert.equal((await s.read(d)).toString(), 'hello');
    await assert.rejects(s.put(Buffer.from('evil'), sha256('good')), DigestMismatch);
    await assert.rejects(s.putStream(Readable.from([Buffer.from('ev'), Buffer.from('il')]), sha256('good')), DigestMismatch);
    const r = await s.putStream(Readable.from([Buffer.from('go'), Buffer.from('od')]), sha256('good'));
    assert.equal(r.digest, sha256('good'));
    assert.deepEqual((await s.list()).sort(), [sha256('hello'), sha256('good')].sort());
    assert.deepEqual(await readdir(s.ingestDir), [], 'no partial files left behind');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
