// Docker's run flags through the real CLI, checked from inside the container (real runc):
// what the container sees is what the flag asked for.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);

describe('docker parity: run flags', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let tmp: string;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/flags', { cmd: ['/bin/sh'], env: ['PATH=/bin'], exposedPorts: ['80/tcp'], files: { '/etc/group': 'root:x:0:\naudio:x:29:\n' } })).ref;
    d = await startDaemon();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-flags-'));
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const inside = async (flags: string[], script: string) => {
    const r = await d.cli(['run', '--rm', ...flags, image, 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  test('hostname, add-host, dns', async () => {
    const out = await inside(['--hostname', 'box1', '--add-host', 'db.local:10.1.2.3', '--dns', '9.9.9.9', '--dns-search', 'example.test'], 'hostname; grep db.local /etc/hosts; grep -E "nameserver|search" /etc/resolv.conf');
    assert.equal(out, 'box1\n10.1.2.3\tdb.local\nsearch example.test\nnameserver 9.9.9.9\n');
  });

  test('capabilities: --cap-drop ALL empties the sets, --cap-add adds one, --privileged has them all', async () => {
    const caps = (o: string) => /CapBnd:\s+(\w+)/.exec(o)![1]!;
    assert.equal(caps(await inside(['--cap-drop', 'ALL'], 'grep CapBnd /proc/self/status')), '0000000000000000');
    // CAP_NET_ADMIN is bit 12.
    assert.equal(BigInt('0x' + caps(await inside(['--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN'], 'grep CapBnd /proc/self/status'))), 1n << 12n);
    // Everything the daemon itself holds (this host's bounding set may lack some).
    const own = /CapBnd:\s+(\w+)/.exec(await readFile('/proc/self/status', 'utf8'))![1]!;
    assert.match(await inside(['--privileged'], 'grep CapBnd /proc/self/status; grep Seccomp: /proc/self/status'), new RegExp(`CapBnd:\\s+${own}\\nSeccomp:\\s+0\\n`));
    assert.match(await inside([], 'grep Seccomp: /proc/self/status'), /Seccomp:\s+2/, 'filtered by default');
    assert.match(await inside(['--security-opt', 'seccomp=unconfined'], 'grep Seccomp: /proc/self/status'), /Seccomp:\s+0/);
  });

  test('tmpfs, ulimit, shm-size, sysctl, group-add', async () => {
    const out = await inside(['--tmpfs', '/scratch:size=2m,mode=700', '--ulimit', 'nofile=512:1024', '--shm-size', '8m', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=42', '--group-add', 'audio'], 'grep " /scratch " /proc/mounts; ulimit -n; ulimit -Hn; grep " /dev/shm " /proc/mounts; cat /proc/sys/net/ipv4/ip_unprivileged_port_start; id -G');
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /^tmpfs \/scratch tmpfs \S*size=2048k,mode=700/);
    assert.deepEqual(lines.slice(1, 3), ['512', '1024']);
    assert.match(lines[3]!, /size=8192k/);
    assert.equal(lines[4], '42');
    assert.match(lines[5]!, /\b29\b/);
  });

  test('-P publishes the exposed ports on free host ports; -p ranges; port shows them', async () => {
    const c = await d.cli(['run', '-d', '--name', 'pub', '-P', '--expose', '81', image, 'sleep', '300']);
    assert.equal(c.code, 0, c.stderr);
    const port = await d.cli(['port', 'pub']);
    assert.match(port.stdout, /^80\/tcp -> 0\.0\.0\.0:\d+\n81\/tcp -> 0\.0\.0\.0:\d+\n$/);
    const one = await d.cli(['port', 'pub', '80']);
    assert.match(one.stdout, /^0\.0\.0\.0:\d+\n$/);
    await d.cli(['rm', '-f', 'pub']);
    const base = await freePort();
    const r = await d.cli(['run', '-d', '--name', 'range', '-p', `${base}-${base + 1}:90-91`, image, 'sleep', '300']);
    if (r.code === 0) {
      assert.equal((await d.cli(['port', 'range'])).stdout, `90/tcp -> 0.0.0.0:${base}\n91/tcp -> 0.0.0.0:${base + 1}\n`);
      await d.cli(['rm', '-f', 'range']);
    } else assert.match(r.stderr, /already in use/, 'the next port was taken meanwhile');
  });

  test('--stop-signal and --stop-timeout; --cidfile and --label-file; create + start', async () => {
    const cid = path.join(tmp, 'cid');
    const labels = path.join(tmp, 'labels');
    await writeFile(labels, '# team\nteam=infra\n');
    const c = await d.cli(['create', '--name', 'sig', '--stop-signal', 'USR1', '--stop-timeout', '1', '--cidfile', cid, '--label-file', labels, image, 'sh', '-c', 'trap "echo got-usr1; exit 3" USR1; while true; do sleep 0.1; done']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(await readFile(cid, 'utf8'), c.stdout.trim());
    const again = await d.cli(['create', '--cidfile', cid, image]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /container ID file found/);
    assert.equal((await d.cli(['start', 'sig'])).code, 0);
    const info = JSON.parse((await d.cli(['inspect', 'sig'])).stdout)[0] as { labels: Record<string, string>; state: string };
    assert.equal(info.labels.team, 'infra');
    assert.equal((await d.cli(['stop', 'sig'])).code, 0);
    const after = JSON.parse((await d.cli(['inspect', 'sig'])).stdout)[0] as { exitCode: number };
    assert.equal(after.exitCode, 3, 'stopped by USR1, not killed');
    assert.equal((await d.cli(['logs', 'sig'])).stdout, 'got-usr1\n');
    const restarted = await d.cli(['restart', '-t', '1', 'sig']);
    assert.equal(restarted.code, 0, restarted.stderr);
    await d.cli(['rm', '-f', 'sig']);
  });
});
