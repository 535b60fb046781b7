// Issue 13 finding 7 on the runtime alone: a container whose supervisor (conmon) is killed, a
// container whose runc state dir is removed, and processes left in this daemon's cgroups. Before,
// stop and rm -f waited forever for an exit file nobody would write, and the orphans lived on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { daemonTag } from '../../src/modules/network/cni-network.js';
import { listLeaks } from '../support/leaks.js';
import { until, within } from '../support/until.js';
import { closeRig, rig, skip, type Rig } from './rig.js';

const gone = (pid: number) => !existsSync(`/proc/${pid}`) || /\) [ZX] /.test(readStat(pid));
function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return ') X ';
  }
}

describe('supervisor and runc state faults', { skip, concurrency: false }, () => {
  let dir: string;
  let r: Rig;
  const conmonOf = async (id: string) => Number((await readFile(path.join(dir, 'containers', id, 'conmon.pid'), 'utf8')).trim());

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-sup-'));
    r = await rig(dir);
  });
  after(() => closeRig(r, dir));

  test('kill -9 of conmon: stop finishes within a deadline and the container is exited with a reason', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sleep', '600'] });
    const conmon = await conmonOf(c.id);
    process.kill(conmon, 'SIGKILL');
    await until('conmon gone', async () => gone(conmon));
    const info = await within(r.api.stop(c.id, { timeoutSeconds: 2 }), 20_000, 'stop after kill -9 of conmon');
    assert.equal(info.state, 'exited');
    const rec = JSON.parse(await readFile(path.join(dir, 'containers', c.id, 'record.json'), 'utf8')) as { reason?: string };
    assert.match(rec.reason ?? '', /supervisor \(conmon\) died/);
    assert.ok(gone(c.pid!), 'the container process is gone');
    await within(r.api.remove(c.id), 20_000, 'rm');
    assert.deepEqual(await listLeaks(dir), []);
  });

  test('kill -9 of conmon: rm -f finishes within a deadline and leaves nothing', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sleep', '600'], ports: [{ hostPort: 20000 + Math.floor(Math.random() * 20000), containerPort: 80, protocol: 'tcp' }] });
    process.kill(await conmonOf(c.id), 'SIGKILL');
    await within(r.api.remove(c.id, { force: true }), 20_000, 'rm -f after kill -9 of conmon');
    assert.ok(gone(c.pid!), 'the container process is gone');
    assert.deepEqual(await listLeaks(dir), []);
  });

  test('kill -9 of conmon is noticed by the periodic check: exited with a reason, no stop needed', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sleep', '600'] });
    const conmon = await conmonOf(c.id);
    process.kill(conmon, 'SIGKILL');
    await until('conmon gone', async () => gone(conmon));
    await within(r.api.reconcile(), 20_000, 'reconcile');
    const info = await r.api.inspect(c.id);
    assert.equal(info.state, 'exited');
    assert.ok(gone(c.pid!), 'the unsupervised process was killed');
    await r.api.remove(c.id);
  });

  test('runc state dir removed: after a restart the process, conmon and cgroup are gone', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sleep', '600'] });
    const conmon = await conmonOf(c.id);
    r.api.close();
    await rm(path.join(dir, 'runc', c.id), { recursive: true, force: true });
    r = await rig(dir);
    const info = await r.api.inspect(c.id);
    assert.equal(info.state, 'exited');
    const rec = JSON.parse(await readFile(path.join(dir, 'containers', c.id, 'record.json'), 'utf8')) as { reason?: string };
    assert.match(rec.reason ?? '', /runc lost its state/);
    assert.ok(gone(c.pid!), 'container process gone');
    await until('conmon gone', async () => gone(conmon), 10_000);
    // The recorded network and the (empty) per-daemon cgroup parent stay until rm; nothing of the container's processes.
    const leaks = (await listLeaks(dir)).filter((l) => !/^(netns|IP lease|iptables|nft|veth)/.test(l) && !l.endsWith(`/llmos/${daemonTag(dir)}`));
    assert.deepEqual(leaks, []);
    await r.api.remove(c.id);
  });

  test('boot kills processes in this daemon\'s cgroups that no record owns', async () => {
    const tag = daemonTag(dir);
    const v1 = !existsSync('/sys/fs/cgroup/cgroup.controllers');
    const cg = v1 ? ['memory', 'pids'].map((h) => `/sys/fs/cgroup/${h}/llmos/${tag}/orphan0`) : [`/sys/fs/cgroup/llmos/${tag}/orphan0`];
    const p = spawn('/bin/sleep', ['600'], { stdio: 'ignore', detached: true });
    p.unref();
    for (const d of cg) {
      await mkdir(d, { recursive: true });
      await writeFile(path.join(d, 'cgroup.procs'), String(p.pid));
    }
    r.api.close();
    r = await rig(dir);
    await until('orphan killed', async () => gone(p.pid!), 10_000);
    for (const d of cg) assert.ok(!existsSync(d), `${d} removed`);
  });
});
