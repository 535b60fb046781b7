// The runtime layers with real runc, conmon, cgroups and CNI plugins: root filesystems come from a
// small inline stand-in for the images module (a busybox-static tree), so this suite tests the
// runtime alone. End-to-end tests through the daemon and the registry are in cli.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { detectCgroupVersion } from '../../src/modules/runtime-runc/cgroups.js';
import { closeRig, collect, rig, skip, type Rig } from './rig.js';

describe('runc runtime', { skip, concurrency: false }, () => {
  let dir: string;
  let r: Rig;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-rt-'));
    r = await rig(dir);
  });
  after(() => closeRig(r, dir));

  test('exit code, env and args reach the container; logs keep both streams', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sh', '-c', 'echo "hello $GREETING" "$#" "$0"; echo oops >&2; exit 3', 'arg0'], env: { GREETING: 'world' } });
    assert.deepEqual(await r.api.wait(c.id), { exitCode: 3, oomKilled: false });
    const lines: Array<{ stream: string; text: string }> = [];
    for await (const l of r.api.logs(c.id)) lines.push(l);
    assert.deepEqual(lines.map((l) => `${l.stream}:${l.text}`), ['stdout:hello world 0 arg0', 'stderr:oops']);
    const info = await r.api.inspect(c.id);
    assert.equal(info.state, 'exited');
    assert.equal(info.exitCode, 3);
    assert.equal(r.workloads.get(c.id).state, 'exited');
    await r.api.remove(c.id);
  });

  test('limits are visible inside the container and hardening is on', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sleep', '60'], memory: 64 * 2 ** 20, cpus: 0.5, pidsLimit: 50 });
    const v1 = (await detectCgroupVersion()) === 1;
    const files = v1
      ? ['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/pids/pids.max']
      : ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/cpu.max', '/sys/fs/cgroup/pids.max'];
    const res = await r.api.exec(c.id, ['/bin/cat', ...files]);
    assert.equal(res.exitCode, 0, res.stderr);
    const vals = res.stdout.trim().split('\n');
    assert.equal(vals[0], String(64 * 2 ** 20));
    assert.match(vals[1]!, /^50000/);
    assert.equal(vals[2], '50');
    const status = await r.api.exec(c.id, ['/bin/cat', '/proc/self/status']);
    assert.match(status.stdout, /NoNewPrivs:\s+1/);
    assert.match(status.stdout, /Seccomp:\s+2/);
    assert.match(status.stdout, /CapBnd:\s+00000000a80405fb/); // Docker's default set without NET_RAW (bit 13)
    const mount = await r.api.exec(c.id, ['/bin/sh', '-c', 'mkdir -p /tmp/m && mount -t tmpfs x /tmp/m']);
    assert.notEqual(mount.exitCode, 0);
    assert.equal(r.ledger.list().find((a) => a.id === `container/${c.id}`)?.memory, 64 * 2 ** 20);
    const st = await r.api.stats(c.id);
    assert.equal(st.memoryLimit, 64 * 2 ** 20);
    assert.ok(st.pids >= 1);
    await r.api.remove(c.id, { force: true });
    assert.equal(r.ledger.list().find((a) => a.id === `container/${c.id}`), undefined);
  });

  test('a container that outgrows its memory limit is OOMKilled with 137', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'], memory: 32 * 2 ** 20 });
    assert.deepEqual(await r.api.wait(c.id), { exitCode: 137, oomKilled: true });
    assert.equal((await r.api.inspect(c.id)).oomKilled, true);
    await r.api.remove(c.id);
  });

  test('stop gives a process that ignores SIGTERM its grace, then kills it', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done'] });
    const info = await r.api.stop(c.id, { timeoutSeconds: 1 });
    assert.equal(info.state, 'exited');
    assert.equal(info.exitCode, 137);
    await r.api.remove(c.id);
  });

  test('--init forwards SIGTERM, so stop ends at once with 143', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sleep', '60'], init: true });
    const info = await r.api.stop(c.id, { timeoutSeconds: 30 });
    assert.equal(info.exitCode, 143);
    await r.api.remove(c.id);
  });

  test('on-failure restarts with back-off up to the retry limit', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sh', '-c', 'echo run; exit 2'], restart: { name: 'on-failure', maxRetries: 2 } });
    const deadline = Date.now() + 20_000;
    let info = await r.api.inspect(c.id);
    while (Date.now() < deadline && !(info.restartCount === 2 && info.state === 'exited' && !info.status.startsWith('Restarting'))) {
      await new Promise((res) => setTimeout(res, 100));
      info = await r.api.inspect(c.id);
    }
    assert.equal(info.restartCount, 2);
    assert.equal(info.exitCode, 2);
    assert.deepEqual(await collect(r.api.logs(c.id)), ['run', 'run', 'run']);
    await r.api.remove(c.id);
  });

  test('a published port is reachable on 127.0.0.1 and removal leaves no residue', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sh', '-c', 'mkdir -p /www && echo hi-from-container > /www/index.html && exec httpd -f -p 8080 -h /www'], ports: [{ hostPort: port, containerPort: 8080, protocol: 'tcp' }] });
    assert.match(c.ip ?? (await r.api.inspect(c.id)).ip ?? '', /^10\.89\./);
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then((res) => res.text(), () => '');
      if (!body) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(body.trim(), 'hi-from-container');
    // The container reaches the host through the bridge gateway, and another container directly.
    const other = await r.api.run({ image: 'busybox', cmd: ['/bin/sleep', '60'] });
    const ip = (await r.api.inspect(c.id)).ip!;
    const viaBridge = await r.api.exec(other.id, ['/bin/wget', '-q', '-O', '-', `http://${ip}:8080/`]);
    assert.equal(viaBridge.stdout.trim(), 'hi-from-container');
    // The host, on the bridge's gateway address (the bridge exists now: a container is on it).
    const hostServer = http.createServer((_req, res) => res.end('hi-from-host'));
    await new Promise<void>((res) => hostServer.listen(0, '10.89.0.1', res));
    try {
      const toHost = await r.api.exec(other.id, ['/bin/wget', '-q', '-O', '-', `http://10.89.0.1:${(hostServer.address() as { port: number }).port}/`]);
      assert.equal(toHost.stdout, 'hi-from-host');
    } finally {
      hostServer.close();
    }
    assert.ok((await r.api.residue(c.id)).length > 0);
    await r.api.remove(c.id, { force: true });
    await r.api.remove(other.id, { force: true });
    assert.deepEqual(await r.api.residue(c.id), []);
    assert.deepEqual(await r.api.residue(other.id), []);
    const nat = execFileSync('iptables', ['-t', 'nat', '-S']).toString();
    assert.ok(!nat.includes(c.id), 'no iptables rule names the container');
  });

  test('a restarted runtime re-adopts a running container with its logs', async () => {
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sh', '-c', 'echo before; sleep 60'] });
    await new Promise((res) => setTimeout(res, 300));
    r.api.close();
    r = await rig(dir);
    const info = await r.api.inspect(c.id);
    assert.equal(info.state, 'running');
    assert.equal(r.workloads.get(c.id).state, 'running');
    assert.deepEqual(await collect(r.api.logs(c.id)), ['before']);
    await r.api.kill(c.id, 'KILL');
    assert.equal((await r.api.wait(c.id)).exitCode, 137);
    await r.api.remove(c.id);
  });

  test('leftovers of a crashed run (no record) are removed at boot', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const c = await r.api.run({ image: 'busybox', cmd: ['/bin/sleep', '60'], ports: [{ hostPort: port, containerPort: 80, protocol: 'tcp' }] });
    assert.ok((await r.api.residue(c.id)).length >= 4, 'netns, lease, nat rules, cgroup, runc, bundle exist');
    r.api.close();
    // As if the daemon crashed half-way through creating it: no record survives.
    await rm(path.join(dir, 'containers', c.id, 'record.json'));
    r = await rig(dir);
    assert.deepEqual(await r.api.residue(c.id), []);
    await assert.rejects(r.api.inspect(c.id), /no such container/);
  });

  test('bad input is refused with a clear reason and leaves nothing behind', async () => {
    await assert.rejects(r.api.run({ image: 'busybox', cmd: ['/nonexistent'] }), /nonexistent/);
    await assert.rejects(r.api.create({ image: 'missing/image' }), /not found/);
    await assert.rejects(r.api.run({ image: 'busybox', cmd: ['/bin/true'], memory: 16 * 2 ** 30 }), /needs 16Gi memory, node has 8Gi allocatable free/);
    await assert.rejects(r.api.create({ image: 'busybox', name: 'bad name' }), /invalid container name/);
    await assert.rejects(r.api.create({ image: 'busybox', network: 'host', ports: [{ hostPort: 1, containerPort: 1, protocol: 'tcp' }] }), /bridge network/);
    assert.deepEqual(await r.api.list({ all: true }), []);
    assert.deepEqual(await readdir(path.join(dir, 'containers')), []);
  });
});
