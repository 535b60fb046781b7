// End to end: a real daemon, a real registry with a busybox image, the real CLI, runc, conmon
// and CNI. Covers what users do with Docker habits, re-adoption after SIGKILL of the daemon, and
// that removal leaves nothing on the host.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { daemonTag } from '../../src/modules/network/cni-network.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);

/** What the host still holds for a container id: netns, cgroups, nat rules. */
function hostResidue(dataDir: string, id: string): string[] {
  const out: string[] = [];
  const tag = daemonTag(dataDir);
  if (existsSync(`/var/run/netns/llmos-${tag}-${id}`)) out.push('netns');
  for (const c of ['memory', 'cpu', 'pids']) if (existsSync(`/sys/fs/cgroup/${c}/llmos/${tag}/${id}`) || existsSync(`/sys/fs/cgroup/llmos/${tag}/${id}`)) out.push(`cgroup ${c}`);
  if (execFileSync('iptables', ['-t', 'nat', '-S']).toString().includes(id)) out.push('iptables');
  return out;
}

describe('containers end to end', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let tmp: string;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox', { cmd: ['/bin/sh', '-c', 'echo default-cmd'], env: ['PATH=/bin', 'FROM_IMAGE=yes'] })).ref;
    d = await startDaemon();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-ctr-e2e-'));
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('run streams the output, passes env and args, and exits with the container\'s code', async () => {
    const envFile = path.join(tmp, 'env');
    await writeFile(envFile, '# comment\nFROM_FILE=file\n');
    const r = await d.cli(['run', '--rm', '-e', 'A=1', '--env-file', envFile, image, '/bin/sh', '-c', 'echo "$A $FROM_FILE $FROM_IMAGE $1"; echo to-err >&2; exit 7', 'sh', 'arg1']);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, '1 file yes arg1\n');
    assert.equal(r.stderr, 'to-err\n');
    const ps = await d.cli(['ps', '-a', '--json']);
    assert.deepEqual(JSON.parse(ps.stdout), [], '--rm removed it');
    const def = await d.cli(['run', '--rm', image]);
    assert.equal(def.stdout, 'default-cmd\n', 'the image Cmd runs by default');
  });

  test('detached containers: ps, logs, exec, stats, stop, rm', async () => {
    const r = await d.cli(['run', '-d', '--name', 'web', '--memory', '64m', '--cpus', '0.5', '--pids-limit', '40', image, '/bin/sh', '-c', 'echo started; exec sleep 300']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await d.cli(['ps']);
    assert.match(ps.stdout, /web/);
    assert.match(ps.stdout, /Up /);
    let logs = await d.cli(['logs', 'web']);
    for (let i = 0; i < 20 && !logs.stdout; i++) logs = await d.cli(['logs', 'web']);
    assert.equal(logs.stdout, 'started\n');
    const ex = await d.cli(['exec', '-e', 'X=42', 'web', '/bin/sh', '-c', 'echo $X; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max']);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout, '42\n40\n');
    const failing = await d.cli(['exec', 'web', '/bin/sh', '-c', 'exit 4']);
    assert.equal(failing.code, 4);
    const stats = await d.cli(['stats', '--no-stream', '--json', 'web']);
    const [s] = JSON.parse(stats.stdout) as Array<{ memoryLimit: number; pids: number }>;
    assert.equal(s!.memoryLimit, 64 * 2 ** 20);
    assert.ok(s!.pids >= 1);
    const inspect = JSON.parse((await d.cli(['inspect', 'web'])).stdout) as Array<{ ip: string; state: string }>;
    assert.equal(inspect[0]!.state, 'running');
    assert.match(inspect[0]!.ip, /^10\.89\./);
    const rmRunning = await d.cli(['rm', 'web']);
    assert.equal(rmRunning.code, 1);
    assert.match(rmRunning.stderr, /running: stop it first/);
    const stop = await d.cli(['stop', '-t', '1', 'web']);
    assert.equal(stop.code, 0, stop.stderr);
    const wait = await d.cli(['wait', 'web']);
    assert.equal(wait.stdout.trim(), '137', 'sleep ignores TERM as PID 1, so the grace ran out');
    const follow = await d.cli(['logs', '-f', 'web']);
    assert.deepEqual([follow.code, follow.stdout], [0, 'started\n'], 'logs -f ends when the container has exited');
    assert.equal((await d.cli(['rm', 'web'])).code, 0);
    assert.deepEqual(hostResidue(d.dataDir, id), []);
  });

  test('a published port answers on 127.0.0.1 and leaves no iptables residue', async () => {
    const port = await freePort();
    const r = await d.cli(['run', '-d', '-p', `${port}:8080`, image, '/bin/sh', '-c', 'mkdir -p /www && echo hello-port > /www/index.html && exec httpd -f -p 8080 -h /www']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then((res) => res.text(), () => '');
      if (!body) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(body, 'hello-port\n');
    assert.notDeepEqual(hostResidue(d.dataDir, id), []);
    assert.equal((await d.cli(['rm', '-f', id])).code, 0);
    assert.deepEqual(hostResidue(d.dataDir, id), []);
  });

  test('OOM is reported as OOMKilled with 137', async () => {
    const r = await d.cli(['run', '--rm', '-m', '32m', image, '/bin/dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
    assert.equal(r.code, 137);
    assert.match(r.stderr, /OOMKilled/);
  });

  test('the daemon dies (SIGKILL) and comes back: running containers are re-adopted, ended ones report their exit', async () => {
    const a = await d.cli(['run', '-d', '--name', 'survivor', image, '/bin/sh', '-c', 'echo before-crash; exec sleep 300']);
    const b = await d.cli(['run', '-d', '--name', 'ender', image, '/bin/sh', '-c', 'sleep 1; echo ending; exit 5']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const pid = (JSON.parse((await d.cli(['inspect', 'survivor'])).stdout) as Array<{ pid: number }>)[0]!.pid;
    await d.kill();
    await new Promise((res) => setTimeout(res, 1500));
    process.kill(pid, 0); // still alive without the daemon
    d = await startDaemon({ dataDir: d.dataDir });
    const [s] = JSON.parse((await d.cli(['inspect', 'survivor'])).stdout) as Array<{ state: string; pid: number }>;
    assert.equal(s!.state, 'running');
    assert.equal(s!.pid, pid);
    assert.equal((await d.cli(['logs', 'survivor'])).stdout, 'before-crash\n');
    assert.equal((await d.cli(['wait', 'ender'])).stdout.trim(), '5');
    assert.equal((await d.cli(['logs', 'ender'])).stdout, 'ending\n');
    await d.cli(['rm', '-f', 'survivor', 'ender']);
    assert.deepEqual(hostResidue(d.dataDir, a.stdout.trim()), []);
  });

  test('bad flags and missing images give one clear line and exit 1', async () => {
    const cases: Array<[string[], RegExp, number?]> = [
      [['run', '--memory', 'lots', image], /invalid --memory "lots": use a size like/],
      [['run', '-p', '80:x', image], /invalid port mapping "80:x"/],
      [['run', '--restart', 'sometimes', image], /invalid restart policy/],
      [['run', '--network', 'overlay', image], /network overlay not found/],
      [['run', '--bogus', image], /bogus/],
      [['run'], /run needs an image/],
      [['run', '--rm', `${reg.host}/does/not-exist:1`, '/bin/true'], /not.found|unknown|does not exist/i],
      // Docker's exit code for a command that is not there.
      [['run', '--rm', image, '/no/such/binary'], /no such file|not found/i, 127],
      [['logs', 'nope'], /no such container: nope/],
      // Issue 13 finding 9: absurd resource values are the caller's mistake, refused before anything is created.
      [['run', '--cpus', '1e308', image, '/bin/true'], /cpus 1e\+308 is more than the \d+ CPUs of this host/],
      [['run', '--cpus', '0.001', image, '/bin/true'], /cpus 0.001 is not a number of at least 0.01/],
      [['run', '--memory', '100t', image, '/bin/true'], /is more than the [\d.]+ GiB of this host/],
      [['run', '--sysctl', 'kernel.panic=1', image], /--sysctl kernel.panic is not namespaced/],
      [['run', '--cap-add', 'NOPE', image], /unknown capability "NOPE"/],
    ];
    for (const [args, re, code = 1] of cases) {
      const r = await d.cli(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    }
    assert.deepEqual(JSON.parse((await d.cli(['ps', '-a', '--json'])).stdout), []);
  });

  test('absurd values in a container spec are a 400 with the reason, not a container', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ cpus: 1e308 }, /cpus 1e\+308 is more than/],
      [{ memory: 2 ** 50 }, /memory \d+ bytes is more than/],
      [{ memory: 1024 }, /at least 6 MiB/],
      [{ pidsLimit: 1e12 }, /pids limit/],
      [{ requests: { cpu: 1e300 } }, /requests.cpu/],
      [{ cpus: 1, requests: { cpu: 2 } }, /requests.cpu 2 is more than the cpus limit 1/],
      [{ priority: 1e308 }, /priority/],
      [{ ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIp: 'not-an-ip' }] }, /host IP "not-an-ip"/],
    ];
    for (const [extra, re] of cases) {
      const r = await d.api<{ message?: string; error?: string }>('POST', '/v1/containers', { image, cmd: ['/bin/true'], ...extra });
      assert.equal(r.status, 400, `${JSON.stringify(extra)}: ${JSON.stringify(r.body)}`);
      assert.match(String(r.body.error ?? r.body.message), re, JSON.stringify(extra));
    }
    assert.deepEqual(JSON.parse((await d.cli(['ps', '-a', '--json'])).stdout), []);
  });
});
