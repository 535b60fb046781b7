// Docker's life-cycle commands through the real CLI: pause/unpause (freezer cgroup), rename, top,
// update (limits applied to the running cgroup), exec -u/-w, ps --filter/--format.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);

describe('docker parity: life cycle', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/life', { cmd: ['/bin/sh'], env: ['PATH=/bin'] })).ref;
    d = await startDaemon();
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
  });

  test('pause freezes (the counter stops), unpause thaws; ps --filter status=paused', async () => {
    const c = await d.cli(['run', '-d', '--name', 'ticker', '-l', 'app=tick', image, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await d.cli(['pause', 'ticker'])).code, 0);
    const freezer = (await d.cli(['inspect', 'ticker'])).stdout;
    const info = JSON.parse(freezer)[0] as { paused?: boolean; cgroupPath: string };
    assert.equal(info.paused, true);
    assert.equal(readFileSync(`/sys/fs/cgroup/freezer${info.cgroupPath}/freezer.state`, 'utf8').trim(), 'FROZEN', 'the freezer cgroup holds it');
    assert.equal((await d.cli(['ps', '--filter', 'status=paused', '--format', '{{.Names}} {{.State}}'])).stdout, 'ticker paused\n');
    const exec = await d.cli(['exec', 'ticker', 'cat', '/tmp/n']);
    assert.equal(exec.code, 1, 'exec into a paused container is refused');
    assert.equal((await d.cli(['unpause', 'ticker'])).code, 0);
    const a = Number((await d.cli(['exec', 'ticker', 'cat', '/tmp/n'])).stdout);
    const b = await (async () => {
      for (let i = 0; i < 100; i++) {
        const v = Number((await d.cli(['exec', 'ticker', 'cat', '/tmp/n'])).stdout);
        if (v > a) return v;
      }
      return a;
    })();
    assert.ok(b > a, 'counting again after unpause');
  });

  test('rename, top, update, exec -u/-w, ps --format table and json', async () => {
    assert.equal((await d.cli(['rename', 'ticker', 'tock'])).code, 0);
    const clash = await d.cli(['run', '-d', '--name', 'other', image, 'sleep', '300']);
    assert.equal(clash.code, 0);
    const taken = await d.cli(['rename', 'other', 'tock']);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /container name tock is already in use/);
    const top = await d.cli(['container', 'top', 'tock']);
    assert.match(top.stdout, /^UID\s+PID\s+PPID\s+CMD\n/);
    assert.match(top.stdout, /sh -c i=0/);
    assert.equal((await d.cli(['update', '--memory', '96M', '--pids-limit', '50', 'tock'])).code, 0);
    const limits = await d.cli(['exec', 'tock', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max']);
    assert.equal(limits.stdout, `${96 * 2 ** 20}\n50\n`);
    const ex = await d.cli(['exec', '-u', 'nobody', '-w', '/tmp', 'tock', 'sh', '-c', 'id -u; pwd']);
    assert.equal(ex.stdout, '65534\n/tmp\n', ex.stderr);
    const tbl = await d.cli(['ps', '--filter', 'label=app=tick', '--format', 'table {{.Names}}\\t{{.Image}}']);
    assert.equal(tbl.stdout, `NAMES   IMAGE\ntock    ${image}\n`);
    const js = JSON.parse((await d.cli(['ps', '--filter', 'name=oth', '--format', '{{json .}}'])).stdout) as { Names: string; ID: string };
    assert.equal(js.Names, 'other');
    const bad = await d.cli(['ps', '--format', '{{.Nope}}']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown field .Nope/);
  });

  test('a paused container survives a daemon SIGKILL: re-adopted still paused, and unpause thaws it', async () => {
    assert.equal((await d.cli(['run', '-d', '--name', 'frozen', image, 'sleep', '300'])).code, 0);
    assert.equal((await d.cli(['pause', 'frozen'])).code, 0);
    await d.kill();
    d = await startDaemon({ dataDir: d.dataDir });
    const [info] = JSON.parse((await d.cli(['inspect', 'frozen'])).stdout) as Array<{ state: string; paused?: boolean }>;
    assert.equal(info!.state, 'running', 'not ended by the restart');
    assert.equal(info!.paused, true);
    assert.equal((await d.cli(['unpause', 'frozen'])).code, 0);
    assert.equal((await d.cli(['exec', 'frozen', 'true'])).code, 0, 'runs again after unpause');
    assert.equal((await d.cli(['rm', '-f', 'frozen'])).code, 0);
  });
});
