import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileInRoot, resolveInRoot } from './rootfs-files.js';

describe('reading files inside a root filesystem', () => {
  let tmp: string;
  let root: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'rootfs-files-'));
    root = path.join(tmp, 'root');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await mkdir(path.join(root, 'data'), { recursive: true });
    await writeFile(path.join(tmp, 'host-secret'), 'host\n');
    await writeFile(path.join(root, 'data', 'real'), 'inside\n');
    await symlink('/data/real', path.join(root, 'etc', 'abs'));
    await symlink('../data/real', path.join(root, 'etc', 'rel'));
    await symlink('../../../../host-secret', path.join(root, 'etc', 'up'));
    await symlink(path.join(tmp, 'host-secret'), path.join(root, 'etc', 'hostabs'));
    await symlink('/data', path.join(root, 'etc', 'dirlink'));
    await symlink('loop2', path.join(root, 'etc', 'loop1'));
    await symlink('loop1', path.join(root, 'etc', 'loop2'));
    await symlink('/dev/zero', path.join(root, 'etc', 'zero'));
    await symlink('/dev/kmsg', path.join(root, 'etc', 'kmsg'));
    execFileSync('mkfifo', [path.join(root, 'etc', 'fifo')]);
    await writeFile(path.join(root, 'etc', 'big'), Buffer.alloc(4096, 'a'));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  test('links resolve inside the root: absolute, relative, through a linked directory', async () => {
    assert.equal(await readFileInRoot(root, 'etc/abs'), 'inside\n');
    assert.equal(await readFileInRoot(root, 'etc/rel'), 'inside\n');
    assert.equal(await readFileInRoot(root, 'etc/dirlink/real'), 'inside\n');
    assert.equal(await resolveInRoot(root, '/etc/../../../data/./real'), path.join(root, 'data', 'real'));
  });

  test('nothing outside the root is read: ../ escapes and absolute host paths stay below the root', async () => {
    assert.equal(await readFileInRoot(root, 'etc/up'), '');
    assert.equal(await readFileInRoot(root, 'etc/hostabs'), '');
    assert.equal(await resolveInRoot(root, 'etc/up'), undefined);
  });

  test('devices, FIFOs, loops and missing files read as empty, at once', async () => {
    for (const f of ['etc/zero', 'etc/kmsg', 'etc/fifo', 'etc/loop1', 'etc/missing', 'etc/abs/x', 'data']) assert.equal(await readFileInRoot(root, f), '', f);
  });

  test('a file above the cap is refused with its size', async () => {
    await assert.rejects(readFileInRoot(root, 'etc/big', 1000), /etc\/big is 4096 bytes, more than the 1000 allowed/);
    assert.equal((await readFileInRoot(root, 'etc/big', 4096)).length, 4096);
  });
});
