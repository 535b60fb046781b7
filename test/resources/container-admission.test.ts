// End to end: real containers are admitted through the scheduler, so namespace quotas apply to
// `llmos run -n NS` and a rejection names the quota, leaving no container behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);

describe('container admission by namespace quota', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/quota', { tag: '1' })).ref;
    d = await startDaemon();
    assert.equal((await d.cli(['namespace', 'create', 'team-a'])).code, 0);
    assert.equal((await d.cli(['quota', 'set', 'team-a', '--memory', '32Mi'])).code, 0);
  });

  after(async () => {
    if (d) {
      const ps = await d.cli(['ps', '-a', '-q']);
      for (const id of ps.stdout.split('\n').filter(Boolean)) await d.cli(['rm', '-f', id]);
      await d.stop();
    }
    await reg?.stop();
  });

  test('a container over its namespace quota is refused with the reason; one within it runs', async () => {
    const over = await d.cli(['run', '-n', 'team-a', '--memory', '64m', '--name', 'big', image, '/bin/true']);
    assert.equal(over.code, 1);
    assert.match(over.stderr, /^llmos: .*quota team-a has 32Mi memory left/);
    assert.equal(over.stderr.trim().split('\n').length, 1);
    const ps = JSON.parse((await d.cli(['ps', '-a', '--json'])).stdout) as Array<{ name: string; state: string }>;
    assert.ok(!ps.some((c) => c.name === 'big'), 'the refused container is not left behind');

    const bg = await d.cli(['run', '-d', '-n', 'team-a', '--memory', '8m', '--name', 'small', image, '/bin/sleep', '30']);
    assert.equal(bg.code, 0, bg.stderr);
    assert.deepEqual(JSON.parse((await d.cli(['ps', '-n', 'team-a', '--json'])).stdout).map((c: { name: string }) => c.name), ['small']);
    assert.deepEqual(JSON.parse((await d.cli(['ps', '-n', 'default', '--json'])).stdout), []);
    assert.equal((await d.cli(['rm', '-f', 'small'])).code, 0);

    const ok = await d.cli(['run', '--rm', '-n', 'team-a', '--memory', '16m', image, '/bin/sh', '-c', 'echo within quota']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /within quota/);
    const quota = JSON.parse((await d.cli(['quota', 'ls', '--json'])).stdout) as Array<{ name: string; used: { memory: number } }>;
    assert.equal(quota.find((n) => n.name === 'team-a')!.used.memory, 0, 'the quota is released when the container is removed');
  });

  test('an unknown namespace is refused', async () => {
    const r = await d.cli(['run', '-n', 'nope', image, '/bin/true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /namespace.*nope|nope.*namespace/i);
  });
});
