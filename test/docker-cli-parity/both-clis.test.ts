// Docker's run flags through BOTH command lines, `llmos` and Debian's docker CLI 20.10 on the
// daemon's socket, against one test daemon (real runc, conmon, CNI, a local registry). Each flag
// is checked by its real effect inside the container: /proc/self/status, /proc/mounts, ulimit,
// /etc/hosts, resolv.conf, cgroup files, sysctls, device nodes, traffic on published ports.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, dockerBin, dockerSkip, socketOf, type Run } from '../docker/support.js';

type Cli = 'llmos' | 'docker';
const clis: Cli[] = ['llmos', 'docker'];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('docker parity: run flags through llmos and the docker CLI', { skip: dockerSkip(), concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let sock: string;
  let tmp: string;
  const run = (cli: Cli, args: string[], timeoutMs = 90_000): Promise<Run> => (cli === 'llmos' ? d.cli(args, { timeoutMs }) : client(dockerBin, args, sock, { timeoutMs }));
  /** The same `run --rm FLAGS IMAGE sh -c SCRIPT` through both CLIs (in parallel): their outputs. */
  const inside = async (flags: string[], script: string): Promise<Record<Cli, string>> => {
    const [l, k] = await Promise.all(clis.map((cli) => run(cli, ['run', '--rm', ...flags, image, 'sh', '-c', script])));
    assert.equal(l!.code, 0, `llmos: ${l!.stderr}`);
    assert.equal(k!.code, 0, `docker: ${k!.stderr}`);
    return { llmos: l!.stdout, docker: k!.stdout };
  };
  const same = async (flags: string[], script: string): Promise<string> => {
    const o = await inside(flags, script);
    assert.equal(o.docker, o.llmos, 'both CLIs give the container the same thing');
    return o.llmos;
  };
  const inspect = async (cli: Cli, name: string): Promise<Record<string, unknown>> => JSON.parse((await run(cli, ['inspect', name])).stdout)[0];

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/both', { cmd: ['/bin/sh'], env: ['PATH=/bin'], exposedPorts: ['80/tcp'], files: { '/etc/group': 'root:x:0:\naudio:x:29:\n', '/data/seed': 'from-image\n', '/www/index.html': 'hello-80\n' } })).ref;
    d = await startDaemon();
    sock = socketOf(d);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-both-'));
    await writeFile(path.join(tmp, 'f'), 'host-file\n');
    assert.equal((await run('llmos', ['pull', image])).code, 0);
  });
  // Each case removes its containers; one that failed midway must not fail the cases after it.
  afterEach(async () => {
    const left = (await run('docker', ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (left.length) await run('docker', ['rm', '-f', ...left]);
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('-h/--hostname, --add-host, --dns, --dns-search: /etc/hostname, /etc/hosts, resolv.conf', async () => {
    const out = await same(['-h', 'box1', '--add-host', 'db.local:10.1.2.3', '--dns', '9.9.9.9', '--dns-search', 'example.test'], 'hostname; grep db.local /etc/hosts; grep -E "nameserver|search" /etc/resolv.conf');
    assert.equal(out, 'box1\n10.1.2.3\tdb.local\nsearch example.test\nnameserver 9.9.9.9\n');
    // inspect shows what was asked for (compose and scripts read it back).
    assert.equal((await run('docker', ['create', '--name', 'shown', '-h', 'box2', '--privileged', '--cap-add', 'SYS_TIME', '--dns', '1.1.1.1', '--shm-size', '16m', image])).code, 0);
    const ins = await inspect('docker', 'shown');
    const hc = ins.HostConfig as Record<string, unknown>;
    assert.equal((ins.Config as { Hostname: string }).Hostname, 'box2');
    assert.deepEqual([hc.Privileged, hc.CapAdd, hc.Dns, hc.ShmSize], [true, ['SYS_TIME'], ['1.1.1.1'], 16 * 2 ** 20]);
    assert.equal((await run('docker', ['rm', 'shown'])).code, 0);
  });

  test('--cap-drop/--cap-add, --privileged, --security-opt no-new-privileges and seccomp=FILE: /proc/self/status', async () => {
    const caps = (o: string) => BigInt('0x' + /CapBnd:\s+(\w+)/.exec(o)![1]!);
    assert.equal(caps(await same(['--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN'], 'grep CapBnd /proc/self/status')), 1n << 12n, 'CAP_NET_ADMIN is bit 12');
    const own = /CapBnd:\s+(\w+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    assert.match(await same(['--privileged'], 'grep -E "CapBnd|Seccomp:" /proc/self/status'), new RegExp(`CapBnd:\\s+${own}\\nSeccomp:\\s+0\\n`));
    assert.match(await same(['--security-opt', 'no-new-privileges'], 'grep NoNewPrivs /proc/self/status'), /NoNewPrivs:\s+1/);
    assert.match(await same(['--security-opt', 'no-new-privileges:false'], 'grep NoNewPrivs /proc/self/status'), /NoNewPrivs:\s+0/);
    // A profile in Docker's format, read from a file (the docker CLI sends its text).
    const profile = path.join(tmp, 'seccomp.json');
    await writeFile(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    assert.equal(await same(['--security-opt', `seccomp=${profile}`], 'mkdir /tmp/x 2>/dev/null && echo made || echo denied'), 'denied\n');
    assert.equal(await same([], 'mkdir /tmp/x 2>/dev/null && echo made || echo denied'), 'made\n', 'the default profile allows it');
    assert.match(await same(['--security-opt', 'seccomp=unconfined'], 'grep Seccomp: /proc/self/status'), /Seccomp:\s+0/);
  });

  test('--tmpfs, --mount (tmpfs, bind, volume), --ulimit, --shm-size, --sysctl, --group-add: mounts, limits, sysctls, groups', async () => {
    const o = await inside(
      ['--tmpfs', '/scratch:size=2m,mode=700,noexec', '--mount', 'type=tmpfs,target=/t2,tmpfs-size=1m,tmpfs-mode=0750', '--mount', `type=bind,source=${tmp},target=/b,readonly`, '--ulimit', 'nofile=512:1024', '--shm-size', '8m', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=42', '--group-add', 'audio'],
      'grep " /scratch " /proc/mounts; grep " /t2 " /proc/mounts; cat /b/f; touch /b/x 2>/dev/null || echo ro; ulimit -n; ulimit -Hn; grep " /dev/shm " /proc/mounts; cat /proc/sys/net/ipv4/ip_unprivileged_port_start; id -G',
    );
    for (const cli of clis) {
      const lines = o[cli].trim().split('\n');
      assert.match(lines[0]!, /^tmpfs \/scratch tmpfs \S*noexec\S*size=2048k,mode=700/, `${cli}: ${lines[0]}`);
      assert.match(lines[1]!, /^tmpfs \/t2 tmpfs \S*size=1024k,mode=750/, `${cli}: ${lines[1]}`);
      assert.deepEqual(lines.slice(2, 6), ['host-file', 'ro', '512', '1024'], cli);
      assert.match(lines[6]!, /size=8192k/, cli);
      assert.equal(lines[7], '42', cli);
      assert.match(lines[8]!, /\b29\b/, cli);
    }
  });

  test('-m, --memory-swap, --memory-reservation, --cpu-shares, --cpuset-cpus: the cgroup files', async () => {
    const cg = '/sys/fs/cgroup';
    const out = await same(['-m', '64m', '--memory-swap', '128m', '--memory-reservation', '32m', '--cpu-shares', '512', '--cpuset-cpus', '0'], `cat ${cg}/memory/memory.limit_in_bytes ${cg}/memory/memory.memsw.limit_in_bytes ${cg}/memory/memory.soft_limit_in_bytes ${cg}/cpu/cpu.shares ${cg}/cpuset/cpuset.cpus`);
    assert.equal(out, `${64 * 2 ** 20}\n${128 * 2 ** 20}\n${32 * 2 ** 20}\n512\n0\n`);
  });

  test('--device: the node is there with the host\'s numbers, and usable', async () => {
    const out = await same(['--device', '/dev/null:/dev/xnull'], 'stat -c "%F %t,%T" /dev/xnull; echo hi > /dev/xnull && echo wrote');
    assert.equal(out, 'character special file 1,3\nwrote\n');
  });

  test('-P with --expose publishes the image\'s and the extra ports; -p CONTAINERPORT and ranges; port shows them; traffic arrives', async () => {
    for (const cli of clis) {
      const name = `pub-${cli}`;
      const r = await run(cli, ['run', '-d', '--name', name, '-P', '--expose', '81', image, 'httpd', '-f', '-p', '80', '-h', '/www']);
      assert.equal(r.code, 0, `${cli}: ${r.stderr}`);
      // The docker CLI prints a Go map: in no fixed order.
      const port = (await run(cli, ['port', name])).stdout.trim().split('\n').sort().join('\n');
      assert.match(port, /^80\/tcp -> 0\.0\.0\.0:\d+\n81\/tcp -> 0\.0\.0\.0:\d+$/, `${cli}: ${port}`);
      const hostPort = Number(/^80\/tcp -> 0\.0\.0\.0:(\d+)/.exec(port)![1]);
      assert.equal(await until(`${cli}: -P traffic`, () => fetch(`http://127.0.0.1:${hostPort}/`).then((x) => x.text(), () => undefined)), 'hello-80\n');
      const one = await run(cli, ['port', name, '80']);
      assert.equal(one.stdout, `0.0.0.0:${hostPort}\n`, cli);
      assert.equal((await run(cli, ['rm', '-f', name])).code, 0);
      const single = await run(cli, ['run', '-d', '--name', name, '-p', '80', '-p', '9000-9001:90-91', image, 'httpd', '-f', '-p', '80', '-h', '/www']);
      if (single.code !== 0) {
        assert.match(single.stderr, /already (in use|allocated|published)/, `${cli}: ${single.stderr} (another test held 9000-9001)`);
        continue;
      }
      const lines = (await run(cli, ['port', name])).stdout.trim().split('\n').sort();
      assert.match(lines[0]!, /^80\/tcp -> 0\.0\.0\.0:\d+$/, cli);
      assert.deepEqual(lines.slice(1), ['90/tcp -> 0.0.0.0:9000', '91/tcp -> 0.0.0.0:9001'], cli);
      const p80 = Number(lines[0]!.split(':').pop());
      assert.equal(await until(`${cli}: -p 80 traffic`, () => fetch(`http://127.0.0.1:${p80}/`).then((x) => x.text(), () => undefined)), 'hello-80\n');
      assert.equal((await run(cli, ['rm', '-f', name])).code, 0);
    }
  });

  test('--stop-signal and --stop-timeout: stop sends the signal, and KILLs after the container\'s own grace period', async () => {
    for (const cli of clis) {
      const sig = `sig-${cli}`;
      const c = await run(cli, ['create', '--name', sig, '--stop-signal', 'USR1', image, 'sh', '-c', 'trap "echo got-usr1; exit 3" USR1; while true; do sleep 0.1; done']);
      assert.equal(c.code, 0, `${cli}: ${c.stderr}`);
      assert.equal((await run(cli, ['start', sig])).code, 0);
      assert.equal((await run(cli, ['stop', sig])).code, 0);
      assert.equal((await run(cli, ['logs', sig])).stdout, 'got-usr1\n', cli);
      const ins = await inspect(cli, sig);
      assert.equal(cli === 'docker' ? (ins.State as { ExitCode: number }).ExitCode : ins.exitCode, 3, `${cli}: stopped by USR1`);
      const re = await run(cli, ['restart', '-t', '1', sig]);
      assert.equal(re.code, 0, `${cli}: ${re.stderr}`);
      await until(`${cli}: running again`, async () => JSON.stringify(await inspect(cli, sig)).includes('"running"'));
      // sh as PID 1 ignores TERM: only the KILL after --stop-timeout 1 ends it (Docker's default would be 10 s).
      const slow = `slow-${cli}`;
      assert.equal((await run(cli, ['run', '-d', '--name', slow, '--stop-timeout', '1', image, 'sh', '-c', 'while true; do sleep 0.1; done'])).code, 0);
      const t0 = Date.now();
      const st = await run(cli, ['stop', slow]);
      assert.equal(st.code, 0, `${cli}: ${st.stderr}`);
      assert.ok(Date.now() - t0 < 7000, `${cli}: stop took ${Date.now() - t0} ms, not the container's 1 s grace period`);
      assert.equal((await run(cli, ['rm', '-f', sig, slow])).code, 0);
    }
  });

  test('--health-cmd, --health-interval, --health-retries: the state turns healthy, then unhealthy', async () => {
    for (const cli of clis) {
      const name = `hc-${cli}`;
      const r = await run(cli, ['run', '-d', '--name', name, '--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-retries', '1', image, 'sh', '-c', 'touch /tmp/ok; sleep 300']);
      assert.equal(r.code, 0, `${cli}: ${r.stderr}`);
      const health = async () => {
        const i = await inspect(cli, name);
        return cli === 'docker' ? (i.State as { Health?: { Status: string } }).Health?.Status : (i.health as { status: string } | undefined)?.status;
      };
      await until(`${cli}: healthy`, async () => (await health()) === 'healthy');
      assert.equal((await run(cli, ['exec', name, 'rm', '/tmp/ok'])).code, 0);
      await until(`${cli}: unhealthy`, async () => (await health()) === 'unhealthy');
      assert.equal((await run(cli, ['rm', '-f', name])).code, 0);
    }
  });

  test('--pull never|always, --platform: a missing image is not pulled with never; another platform is refused in one line', async () => {
    for (const cli of clis) {
      const ref = (await pushBusyboxImage(reg, `test/pull-${cli}`, { cmd: ['/bin/sh'], env: ['PATH=/bin'] })).ref;
      const never = await run(cli, ['run', '--rm', '--pull', 'never', ref, 'true']);
      assert.notEqual(never.code, 0, cli);
      assert.match(never.stderr, /No such image|not found/i, `${cli}: ${never.stderr}`);
      const always = await run(cli, ['run', '--rm', '--pull', 'always', '--platform', 'linux/amd64', ref, 'echo', 'pulled']);
      assert.equal(always.code, 0, `${cli}: ${always.stderr}`);
      assert.match(always.stdout, /pulled\n$/);
      const arm = await run(cli, ['run', '--rm', '--platform', 'linux/arm64', ref, 'true']);
      assert.notEqual(arm.code, 0, `${cli}: an amd64 image must not run for --platform linux/arm64`);
      const lines = arm.stderr.trim().split('\n').filter((l) => l.trim() && !/^See '/.test(l));
      assert.equal(lines.length, 1, `${cli}: one line: ${arm.stderr}`);
      assert.match(lines[0]!, /linux\/arm64.*linux\/amd64|linux\/amd64.*linux\/arm64/, `${cli}: names both platforms: ${arm.stderr}`);
    }
    assert.equal((await run('docker', ['ps', '-aq'])).stdout, '', 'nothing left by the refusals');
  });

  test('--cidfile and --label-file', async () => {
    const labels = path.join(tmp, 'labels');
    await writeFile(labels, '# team\nteam=infra\ntier=back\n');
    for (const cli of clis) {
      const cid = path.join(tmp, `cid-${cli}`);
      const c = await run(cli, ['create', '--name', `lab-${cli}`, '--cidfile', cid, '--label-file', labels, image]);
      assert.equal(c.code, 0, `${cli}: ${c.stderr}`);
      assert.equal(await readFile(cid, 'utf8'), c.stdout.trim(), cli);
      const again = await run(cli, ['create', '--cidfile', cid, image]);
      assert.notEqual(again.code, 0, cli);
      assert.match(again.stderr, /container ID file found/, cli);
    }
    // Each CLI sees both containers' labels, whichever made them.
    for (const cli of clis) assert.deepEqual((await run(cli, ['ps', '-a', '--filter', 'label=tier=back', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort(), ['lab-docker', 'lab-llmos'], cli);
    assert.equal((await run('docker', ['rm', 'lab-llmos', 'lab-docker'])).code, 0);
  });

  test('volumes: -v NAME:/path copies up from the image and outlives the container; -v /path goes with rm -v; volume create|ls|inspect|rm|prune', async () => {
    for (const cli of clis) {
      const vol = `data-${cli}`;
      const r = await run(cli, ['run', '--rm', '-v', `${vol}:/data`, image, 'sh', '-c', 'cat /data/seed; echo kept > /data/new']);
      assert.deepEqual([r.code, r.stdout], [0, 'from-image\n'], `${cli}: ${r.stderr}`);
      assert.equal((await run(cli, ['run', '--rm', '--mount', `type=volume,source=${vol},target=/v,readonly`, image, 'sh', '-c', 'cat /v/new; touch /v/x 2>/dev/null || echo ro'])).stdout, 'kept\nro\n', cli);
      assert.equal((await run(cli, ['volume', 'create', `spare-${cli}`])).code, 0);
    }
    const ls = (await run('docker', ['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(ls, ['data-docker', 'data-llmos', 'spare-docker', 'spare-llmos'], 'one set of volumes, whichever CLI made them');
    const mp = (await run('docker', ['volume', 'inspect', '-f', '{{.Mountpoint}}', 'data-llmos'])).stdout.trim();
    assert.equal(await readFile(path.join(mp, 'new'), 'utf8'), 'kept\n');
    // An anonymous volume: kept by a plain rm (as Docker), removed by rm -v.
    const anon = await run('docker', ['run', '--name', 'anon', '-v', '/scratch', image, 'sh', '-c', 'cat /data/seed > /scratch/x; ls /scratch']);
    assert.deepEqual([anon.code, anon.stdout], [0, 'x\n'], anon.stderr);
    const before = (await run('docker', ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean).length;
    assert.equal(before, 5, 'the anonymous volume is listed');
    assert.equal((await run('docker', ['rm', '-v', 'anon'])).code, 0);
    assert.equal((await run('docker', ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean).length, 4, 'rm -v removed it');
    assert.equal((await run('docker', ['volume', 'rm', 'spare-docker'])).code, 0);
    const pruned = await run('docker', ['volume', 'prune', '-f']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.equal((await run('llmos', ['volume', 'prune'])).code, 0);
    assert.equal((await run('docker', ['volume', 'ls', '-q'])).stdout, '');
  });

  test('update (limits on the running cgroup), logs --since/--until, ps --filter/--format, exec -u/-w', async () => {
    for (const cli of clis) {
      const name = `up-${cli}`;
      assert.equal((await run(cli, ['run', '-d', '--name', name, '-m', '64m', image, 'sh', '-c', 'echo early; sleep 1.5; echo late; sleep 300'])).code, 0);
      const u = await run(cli, ['update', '--memory', '96m', '--memory-swap', '192m', '--cpu-shares', '256', '--pids-limit', '40', name]);
      assert.equal(u.code, 0, `${cli}: ${u.stderr}`);
      const cg = await run(cli, ['exec', name, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.shares', '/sys/fs/cgroup/pids/pids.max']);
      assert.equal(cg.stdout, `${96 * 2 ** 20}\n${192 * 2 ** 20}\n256\n40\n`, `${cli}: ${cg.stderr}`);
      const ex = await run(cli, ['exec', '-u', 'nobody', '-w', '/tmp', name, 'sh', '-c', 'id -u; pwd']);
      assert.equal(ex.stdout, '65534\n/tmp\n', `${cli}: ${ex.stderr}`);
      await until(`${cli}: late`, async () => (await run(cli, ['logs', name])).stdout === 'early\nlate\n');
      const started = Date.parse(cli === 'docker' ? ((await inspect(cli, name)).State as { StartedAt: string }).StartedAt : ((await inspect(cli, name)).startedAt as string));
      const mid = new Date(started + 750).toISOString();
      assert.equal((await run(cli, ['logs', '--since', mid, name])).stdout, 'late\n', cli);
      assert.equal((await run(cli, ['logs', '--until', mid, name])).stdout, 'early\n', cli);
      const ps = await run(cli, ['ps', '--filter', `name=${name}`, '--filter', 'status=running', '--format', '{{.Names}} {{.Image}}']);
      assert.equal(ps.stdout, `${name} ${image}\n`, cli);
      assert.equal((await run(cli, ['ps', '-a', '--filter', `name=${name}`, '--filter', 'status=exited', '-q'])).stdout, '', cli);
      assert.equal((await run(cli, ['rm', '-f', name])).code, 0);
    }
  });

  test('10 MB of random bytes through docker run and docker logs keep their checksum, as podman\'s output does', async () => {
    const data = randomBytes(10 * 2 ** 20);
    await mkdir(path.join(tmp, 'bytes'));
    await writeFile(path.join(tmp, 'bytes', 'random'), data);
    const want = sha(data);
    const bytesOf = (args: string[]) => new Promise<Buffer>((resolve, reject) => {
      const p = spawn(dockerBin, args, { env: { ...process.env, DOCKER_HOST: `unix://${sock}` }, stdio: ['ignore', 'pipe', 'inherit'] });
      const parts: Buffer[] = [];
      p.stdout.on('data', (b: Buffer) => parts.push(b));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(parts)) : reject(new Error(`docker ${args.join(' ')}: exit ${code}`))));
    });
    const viaRun = await bytesOf(['run', '--rm', '-v', `${tmp}/bytes:/in:ro`, image, 'cat', '/in/random']);
    assert.equal(viaRun.length, data.length);
    assert.equal(sha(viaRun), want, 'docker run');
    const id = (await run('docker', ['run', '-d', '-v', `${tmp}/bytes:/in:ro`, image, 'cat', '/in/random'])).stdout.trim();
    assert.equal((await run('docker', ['wait', id])).stdout.trim(), '0');
    const viaLogs = await bytesOf(['logs', id]);
    assert.equal(sha(viaLogs), want, 'docker logs');
    assert.equal((await run('docker', ['rm', id])).code, 0);
    if (existsSync('/usr/bin/podman')) {
      // podman in its own storage, without a network: nothing of it outlives the test.
      const root = path.join(tmp, 'podman');
      const podman = (args: string) => `podman --root ${root}/root --runroot ${root}/run --storage-driver vfs --runtime runc ${args}`;
      try {
        execFileSync('bash', ['-c', podman(`pull -q --tls-verify=false ${image}`)], { stdio: 'ignore' });
        const p = execFileSync('bash', ['-c', podman(`run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -v ${tmp}/bytes:/in:ro ${image} cat /in/random`)], { maxBuffer: 64 * 2 ** 20 });
        assert.equal(sha(p), sha(viaRun), 'podman prints the same bytes');
      } finally {
        execFileSync('bash', ['-c', `${podman('rm -af')} >/dev/null 2>&1; ${podman('rmi -af')} >/dev/null 2>&1; umount -R ${root}/root 2>/dev/null; true`]);
      }
    }
  });

  test('what LLMOS cannot honour is refused in one line naming the flag, and creates nothing', async () => {
    const cases: Array<[string[], RegExp, Cli[]]> = [
      [['--log-opt', 'max-size=1m'], /log-opt max-size/, ['docker']],
      [['--oom-score-adj', '500'], /OomScoreAdj/, ['docker']],
      [['--cgroupns', 'host'], /CgroupnsMode/, ['docker']],
      [['--ipc', 'host'], /IpcMode/, ['docker']],
      [['--cpu-period', '50000'], /CpuPeriod/, ['docker']],
      [['--dns-option', 'ndots:2'], /DnsOptions|dns-option/, clis],
      [['--tmpfs', '/t:suid'], /tmpfs option .*suid.* is not supported/, clis],
      [['--mount', `type=bind,source=${tmp},target=/x,bind-propagation=shared`], /bind-propagation/, clis],
      [['--mount', 'type=volume,source=nc,target=/x,volume-nocopy'], /nocopy/, clis],
      [['--security-opt', 'apparmor=unconfined'], /apparmor=unconfined.* is not supported/, clis],
      [['--sysctl', 'kernel.hostname=x'], /kernel\.hostname/, clis],
    ];
    for (const [flags, re, which] of cases)
      for (const cli of which) {
        const r = await run(cli, ['run', '--rm', ...flags, image, 'true']);
        assert.equal(r.code, cli === 'docker' ? 125 : 1, `${cli} ${flags.join(' ')}: ${r.stderr}`);
        const lines = r.stderr.trim().split('\n').filter((l) => !/^See '|^Run '/.test(l) && l.trim());
        assert.equal(lines.length, 1, `${cli} ${flags.join(' ')}: one line: ${r.stderr}`);
        assert.match(lines[0]!, re, `${cli} ${flags.join(' ')}`);
      }
    assert.equal((await run('docker', ['ps', '-aq'])).stdout, '', 'no container left');
    assert.equal((await run('docker', ['volume', 'ls', '-q'])).stdout, '', 'no volume left');
  });
});
