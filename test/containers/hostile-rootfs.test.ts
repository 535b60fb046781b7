// Issue 13 finding 2: the runtime reads the image's /etc/passwd and /etc/group on the host to
// resolve a user name. An image author controls those paths: a symlink to /dev/kmsg hung every
// create (and the daemon's shutdown), one to /dev/zero grew the daemon by ~560 MB per create,
// and one to a host file let the host's entries decide the container's uid. Each case is a real
// image tree and a real create; the deadlines make a hang a failure instead of a stuck suite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContainerSpec } from '../../src/contracts/containers.js';
import { within } from '../support/until.js';
import { closeRig, rig, skip, type Rig } from './rig.js';

describe('hostile image files read on the host', { skip, concurrency: false }, () => {
  let dir: string;
  let hostDir: string;
  let r: Rig;
  /** What the next root filesystem gets planted in it. */
  let plant: (root: string) => Promise<void> = async () => undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-hostile-'));
    hostDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-hostfile-'));
    // A host file an attacker would like the runtime to trust: "app" is root there.
    await writeFile(path.join(hostDir, 'passwd'), 'app:x:0:0:app:/:/bin/sh\n');
    await writeFile(path.join(hostDir, 'group'), 'wheel:x:0:app\n');
    r = await rig(dir, { prepareRootfs: (root) => plant(root) });
  });
  after(async () => {
    try {
      await closeRig(r, dir);
    } finally {
      await rm(hostDir, { recursive: true, force: true });
    }
  });

  const spec = (user: string): ContainerSpec => ({ image: 'busybox', user, cmd: ['/bin/id', '-u'] });
  const passwdLink = (target: string) => async (root: string) => {
    await rm(path.join(root, 'etc', 'passwd'), { force: true });
    await symlink(target, path.join(root, 'etc', 'passwd'));
  };

  test('etc/passwd -> /dev/kmsg: create answers at once (no user found) instead of hanging', async () => {
    plant = passwdLink('/dev/kmsg');
    await within(assert.rejects(r.api.create(spec('app')), /unable to find user app/), 10_000, 'create with passwd -> /dev/kmsg');
  });

  test('etc/passwd -> /dev/zero: create answers at once and the daemon does not grow', async () => {
    plant = passwdLink('/dev/zero');
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 3; i++) await within(assert.rejects(r.api.create(spec('app')), /unable to find user app/), 10_000, 'create with passwd -> /dev/zero');
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 64 * 2 ** 20, `RSS grew by ${Math.round(grown / 2 ** 20)} MiB over 3 creates`);
  });

  test('etc/passwd as a FIFO: create does not block on it', async () => {
    plant = async (root) => {
      await rm(path.join(root, 'etc', 'passwd'), { force: true });
      execFileSync('mkfifo', [path.join(root, 'etc', 'passwd')]);
    };
    await within(assert.rejects(r.api.create(spec('app')), /unable to find user app/), 10_000, 'create with a FIFO passwd');
  });

  test('absolute and ../ symlinks to a host passwd do not decide the uid', async () => {
    for (const target of [path.join(hostDir, 'passwd'), `../../../../../../../../..${hostDir}/passwd`]) {
      plant = passwdLink(target);
      await within(assert.rejects(r.api.create(spec('app')), /unable to find user app/), 10_000, `create with passwd -> ${target}`);
    }
    // The group file the same way: a host group cannot be named.
    plant = async (root) => symlink(path.join(hostDir, 'group'), path.join(root, 'etc', 'group'));
    await within(assert.rejects(r.api.create(spec('0:wheel')), /unable to find group wheel/), 10_000, 'create with group -> host file');
  });

  test('symlinks inside the image resolve inside the image (an absolute link is relative to its root)', async () => {
    plant = async (root) => {
      await mkdir(path.join(root, 'usr', 'share'), { recursive: true });
      await writeFile(path.join(root, 'usr', 'share', 'passwd'), 'root:x:0:0:root:/:/bin/sh\napp:x:1234:1234:app:/:/bin/sh\n');
      await rm(path.join(root, 'etc', 'passwd'), { force: true });
      await symlink('/usr/share/passwd', path.join(root, 'etc', 'passwd'));
    };
    const c = await r.api.run(spec('app'));
    assert.equal((await r.api.wait(c.id)).exitCode, 0);
    const lines: string[] = [];
    for await (const l of r.api.logs(c.id)) lines.push(l.text);
    assert.deepEqual(lines, ['1234']);
    await r.api.remove(c.id);
  });

  test('a passwd above 1 MiB is refused with the reason', async () => {
    plant = async (root) => writeFile(path.join(root, 'etc', 'passwd'), 'x'.repeat(2 * 2 ** 20));
    await within(assert.rejects(r.api.create(spec('app')), /etc\/passwd is \d+ bytes, more than/), 10_000, 'create with a huge passwd');
    plant = async () => undefined;
  });
});
