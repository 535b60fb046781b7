import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { copyUp } from './copy-up.js';

test('copy-up: the image\'s files are copied, links stay links, and a symlinked path never reaches the host', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-copyup-'));
  try {
    const root = path.join(tmp, 'rootfs');
    await mkdir(path.join(root, 'data', 'sub'), { recursive: true });
    await writeFile(path.join(root, 'data', 'sub', 'f'), 'x');
    await symlink('/etc/shadow', path.join(root, 'data', 'link'));
    // Hostile: /evil -> /etc would be the host's /etc if followed on the host.
    await symlink('/etc', path.join(root, 'evil'));
    await symlink('../../../../../etc', path.join(root, 'evil2'));
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    const c = path.join(tmp, 'c');
    for (const dir of [a, b, c]) await mkdir(dir);
    await copyUp(root, '/data', a);
    assert.equal(await readFile(path.join(a, 'sub', 'f'), 'utf8'), 'x');
    assert.equal(await readlink(path.join(a, 'link')), '/etc/shadow', 'copied as a link, not the host file');
    await copyUp(root, '/evil', b);
    await copyUp(root, '/evil2', c);
    assert.deepEqual(await readdir(b), [], 'resolved inside the rootfs, where /etc does not exist');
    assert.deepEqual(await readdir(c), []);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
