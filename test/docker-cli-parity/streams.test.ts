// Regression tests for issue 17's stream and CLI bugs, through the real CLI against a test daemon
// (real runc, conmon, CNI), compared with podman where the issue says: bytes end to end (invalid
// UTF-8, binary, 10 MB of random bytes through run and logs), the last line without a newline,
// EPIPE into head, host ports released by a stopped container, exit codes 127/126, binary memory
// units, -h as the hostname.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { llmosBin, startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);
const havePodman = existsSync('/usr/bin/podman');

/** Runs a shell pipeline with the CLI's environment; stdout as bytes. */
function sh(d: TestDaemon, script: string, timeoutMs = 120_000): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', script], { env: { ...process.env, LLMOS_HOST: d.host, LLMOS_DATA_DIR: d.dataDir, LLMOS: llmosBin }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms: ${script}`));
    }, timeoutMs);
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('docker parity: streams and CLI bugs', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let tmp: string;
  let podmanRoot: string;
  let podman: (args: string) => string;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/parity', { cmd: ['/bin/sh'], env: ['PATH=/bin'], files: { '/data/seed': 'from-image\n' } })).ref;
    d = await startDaemon();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-parity-'));
    podmanRoot = path.join(tmp, 'podman');
    // podman in its own storage, without a network: nothing of it outlives the test.
    podman = (args) => `podman --root ${podmanRoot}/root --runroot ${podmanRoot}/run --storage-driver vfs --runtime runc ${args}`;
    if (havePodman) execFileSync('bash', ['-c', podman(`pull -q --tls-verify=false ${image}`)], { stdio: 'ignore' });
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
    if (havePodman && podmanRoot) execFileSync('bash', ['-c', `${podman('rm -af')} >/dev/null 2>&1; ${podman('rmi -af')} >/dev/null 2>&1; umount -R ${podmanRoot}/root 2>/dev/null; true`]);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('invalid UTF-8 is printed once, byte for byte, and --rm removes the container', async () => {
    const r = await sh(d, `$LLMOS run --rm ${image} printf 'ok\\377\\n'`, 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout, Buffer.from([0x6f, 0x6b, 0xff, 0x0a]));
    assert.deepEqual(JSON.parse((await d.cli(['ps', '-a', '--json'])).stdout), []);
  });

  test('the last line without a newline is printed (conmon partial records flushed at exit)', async () => {
    const r = await d.cli(['run', '--rm', image, 'printf', 'abc']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'abc');
    const id = (await d.cli(['run', '-d', image, 'sh', '-c', 'printf "one\\ntwo"'])).stdout.trim();
    await d.cli(['wait', id]);
    const logs = await d.cli(['logs', id]);
    assert.equal(logs.stdout, 'one\ntwo');
    const follow = await d.cli(['logs', '-f', id]);
    assert.equal(follow.stdout, 'one\ntwo');
    await d.cli(['rm', id]);
  });

  test('binary output: cat /bin/true has the file\'s checksum, through run, logs and logs -f, and equals podman\'s', async () => {
    const inImage = (await d.cli(['run', '--rm', image, 'sha256sum', '/bin/busybox'])).stdout.split(' ')[0];
    const r = await sh(d, `$LLMOS run --rm ${image} cat /bin/true`, 60_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha(r.stdout), inImage);
    assert.equal(sha(r.stdout), sha(readFileSync('/bin/busybox')), 'the image has the host busybox');
    const id = (await d.cli(['run', '-d', image, 'cat', '/bin/true'])).stdout.trim();
    await d.cli(['wait', id]);
    assert.equal(sha((await sh(d, `$LLMOS logs ${id}`)).stdout), inImage);
    const f = await sh(d, `$LLMOS logs -f ${id}`, 60_000);
    assert.equal(sha(f.stdout), inImage, 'logs -f ends, with the same bytes');
    await d.cli(['rm', id]);
    if (havePodman) {
      const p = execFileSync('bash', ['-c', podman(`run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 ${image} cat /bin/true`)], { maxBuffer: 64 * 2 ** 20 });
      assert.equal(sha(p), sha(r.stdout), 'podman prints the same bytes');
    }
  });

  test('10 MB of random bytes round-trip through run and logs with identical checksums (and podman\'s)', async () => {
    const data = randomBytes(10 * 2 ** 20);
    await writeFile(path.join(tmp, 'random'), data);
    const want = sha(data);
    const r = await sh(d, `$LLMOS run --rm -v ${tmp}:/in:ro ${image} cat /in/random`, 120_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, data.length);
    assert.equal(sha(r.stdout), want);
    const id = (await d.cli(['run', '-d', '-v', `${tmp}:/in:ro`, image, 'cat', '/in/random'])).stdout.trim();
    await d.cli(['wait', id]);
    assert.equal(sha((await sh(d, `$LLMOS logs ${id}`, 120_000)).stdout), want);
    await d.cli(['rm', id]);
    if (havePodman) {
      const p = execFileSync('bash', ['-c', podman(`run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -v ${tmp}:/in:ro ${image} cat /in/random`)], { maxBuffer: 64 * 2 ** 20 });
      assert.equal(sha(p), want, 'podman');
    }
  });

  test('piped into head, the CLI exits quietly', async () => {
    const id = (await d.cli(['run', '-d', image, 'sh', '-c', 'seq 1 200000'])).stdout.trim();
    await d.cli(['wait', id]);
    const r = await sh(d, `set -o pipefail; $LLMOS logs ${id} | head -n 2`);
    assert.equal(r.stdout.toString(), '1\n2\n');
    assert.equal(r.stderr, '', 'no stack trace');
    assert.equal(r.code, 0);
    await d.cli(['rm', id]);
  });

  test('a stopped container releases its host port; starting it again while another holds the port is refused', async () => {
    const port = await freePort();
    const a = await d.cli(['run', '-d', '--name', 'porta', '-p', `${port}:80`, image, 'sleep', '300']);
    assert.equal(a.code, 0, a.stderr);
    await d.cli(['stop', '-t', '0', 'porta']);
    const aid = a.stdout.trim();
    assert.ok(!execFileSync('iptables-save', ['-t', 'nat']).toString().includes(aid), 'no NAT rules of the stopped container');
    const b = await d.cli(['run', '-d', '--name', 'portb', '-p', `${port}:80`, image, 'sleep', '300']);
    assert.equal(b.code, 0, b.stderr);
    const again = await d.cli(['start', 'porta']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`host port ${port}/tcp is already published by container portb`));
    await d.cli(['rm', '-f', 'portb']);
    const ok = await d.cli(['start', 'porta']);
    assert.equal(ok.code, 0, ok.stderr);
    await d.cli(['rm', '-f', 'porta']);
  });

  test('a missing executable exits 127, a file that is not executable 126 (as Docker)', async () => {
    const missing = await d.cli(['run', '--rm', image, '/nonexistent']);
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /^llmos: .*no such file or directory\n$/);
    const notExec = await d.cli(['run', '--rm', image, '/etc/passwd']);
    assert.equal(notExec.code, 126, notExec.stderr);
    const detached = await d.cli(['run', '-d', image, 'nonexistent-cmd']);
    assert.equal(detached.code, 127, detached.stderr);
    assert.deepEqual(JSON.parse((await d.cli(['ps', '-a', '--json'])).stdout), []);
  });

  test('-m 64M is 64 MiB (binary units, as Docker); -h sets the hostname', async () => {
    const r = await d.cli(['run', '--rm', '-m', '64M', '-h', 'myhost', image, 'sh', '-c', 'hostname; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `myhost\n${64 * 2 ** 20}\n`);
    const help = await d.cli(['run', '--help']);
    assert.match(help.stdout, /^Usage: llmos run/);
  });

  test('logs --since/--until select by time', async () => {
    const id = (await d.cli(['run', '-d', image, 'sh', '-c', 'echo early; sleep 1.2; echo late'])).stdout.trim();
    await d.cli(['wait', id]);
    const info = JSON.parse((await d.cli(['inspect', id])).stdout)[0] as { startedAt: string };
    const mid = new Date(Date.parse(info.startedAt) + 600).toISOString();
    assert.equal((await d.cli(['logs', '--since', mid, id])).stdout, 'late\n');
    assert.equal((await d.cli(['logs', '--until', mid, id])).stdout, 'early\n');
    await d.cli(['rm', id]);
  });
});
