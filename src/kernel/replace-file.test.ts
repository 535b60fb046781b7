import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { replaceFile } from './replace-file.js';

test('replaceFile writes whole files, mode 0600, and leaves no temp file, also when it fails', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-replace-'));
  try {
    const file = path.join(dir, 'state.json');
    await replaceFile(file, 'one');
    await replaceFile(file, 'two');
    assert.equal(await readFile(file, 'utf8'), 'two');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    // A directory where the file should be: the rename fails, the old state and no temp file remain.
    const blocked = path.join(dir, 'blocked');
    await replaceFile(path.join(blocked, 'x'), 'y').then(() => assert.fail('wrote into a missing directory'), (e: NodeJS.ErrnoException) => assert.equal(e.code, 'ENOENT'));
    await assert.rejects(replaceFile(dir, 'z'));
    assert.deepEqual((await readdir(dir)).sort(), ['state.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
